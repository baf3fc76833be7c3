"""Helpers for the CLI end-to-end tests (no tests here): run ``evreg`` (``run``: the CLI's
entry point in a process of its own, forked from the worker's fork server; the executable itself
is run by test_cli_help_text, test_cli_pipes, test_cli_interrupt and test_readme_quickstart),
start a real registry with ``evreg serve``, make databases and git repositories.

Imported by the ``test_cli_*`` modules beside it (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from servers import RegistryProcess, run_evreg
from servers import evreg_command as evreg_command  # the executable, for the true-exec tests
from servers import free_port as free_port  # for the test_cli_* modules

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any EVREG_* setting of the machine (tests set their own)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EVREG_") and k not in ("FORCE_COLOR", "TTY_COMPATIBLE")
    }
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"  # keep rich from wrapping long lines
    env.update(extra)
    return env


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``evreg ARGS`` to its end, forked from the fork server (``servers.run_evreg``)."""
    return run_evreg(*args, cwd=cwd, env=env if env is not None else clean_env(), timeout=180)


class Registry(RegistryProcess):
    """``evreg serve`` in a child process on a free port, with ``clean_env()``
    (tests/servers.py)."""

    def __init__(self, database_url: str, log_dir: Path) -> None:
        log_path = log_dir / f"serve-{uuid.uuid4().hex[:8]}.log"
        super().__init__(database_url, log_path, env=clean_env())


def postgres_server_url() -> str:
    """Like tests/conftest.py's ``postgres_url`` fixture, usable at module scope."""
    url = os.environ.get("EVREG_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=2):
            return url
    except OSError as exc:
        reason = f"postgresql is not reachable at {host}:{port} ({exc.strerror or exc})"
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(f"{reason}; start it, or point EVREG_TEST_POSTGRES_URL at another server")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A new empty database: a SQLite file, or ``evreg_cli_<uuid>`` on PostgreSQL (dropped
    afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'evreg-{uuid.uuid4().hex[:8]}.db'}"
        return
    import psycopg

    server = postgres_server_url()
    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"evreg_cli_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- git


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        env={
            **clean_env(),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(repo),
        },
    )
    return done.stdout


def init_repo(repo: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


# ---------------------------------------------------------------- output


def annotations(stdout: str) -> list[dict[str, Any]]:
    """Parse ``::error file=F,line=N,title=T::message`` lines."""
    found = []
    for line in stdout.splitlines():
        if not line.startswith("::"):
            continue
        kind, rest = line[2:].split(" ", 1)
        props_text, message = rest.split("::", 1)
        props = dict(p.split("=", 1) for p in props_text.split(","))
        found.append({"kind": kind, **props, "message": message})
    return found


def line_containing(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def json_out(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)
