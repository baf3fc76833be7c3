"""``evreg serve`` with bad settings: the CLI in a process of its own (forked from the worker's
fork server; the good-settings control runs the ``evreg`` executable), real SQLite files and a real
PostgreSQL server. Each bad value exits non-zero (2, or 3 for a database nothing answers at)
with one line naming the setting and what is wrong, no traceback, no "internal error", and
nothing written: no SQLite file appears, a fresh PostgreSQL database keeps no table.

(``evreg serve`` is the only command that opens a database; the others talk to a registry over
HTTP, and their ``--registry`` / ``EVREG_URL`` errors are tested with them.)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from test_cli_helpers import clean_env, free_port, fresh_database, postgres_server_url

from servers import evreg_command, run_evreg

SERVE_TIMEOUT = 60  # seconds: a bad setting exits at once; a server that starts is a failure


def serve(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``evreg serve --port <free> ARGS`` in ``cwd`` (``servers.run_evreg``: the CLI in a
    process of its own); fails the test if the server starts."""
    argv = ["serve", "--port", str(free_port()), *args]
    try:
        return run_evreg(*argv, cwd=cwd, env=clean_env(**(env or {})), timeout=SERVE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        command = " ".join([*evreg_command(), *argv])
        pytest.fail(f"{command} started a server instead of refusing: {exc.stderr!r}")


def refusal(done: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
    """The one error line of a refused start, checked: exit ``code``, every one of ``names``
    in it, no traceback, no internal error, nothing started."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for name in names:
        assert name in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "evreg registry on" not in done.stderr  # the server was not started
    assert done.stdout == ""
    return lines[0]


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """An empty working folder that must stay as the test left it (no ``evreg.db*``)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "a-file").write_text("not a folder\n")
    before = files(work)
    yield work
    assert files(work) == before, "a refused start wrote into the working folder"


# ---------------------------------------------------------------- the database URL

BAD_URLS = [
    # (URL, words the message must hold)
    ("nosuchdb://x", ["not 'nosuchdb'", "sqlite:///", "postgresql+psycopg://"]),
    ("mysql://evreg:s3cret@127.0.0.1:3306/evreg", ["not 'mysql'"]),
    ("postgresql+psycopg2://evreg:s3cret@127.0.0.1/evreg", ["psycopg", "postgresql+psycopg://"]),
    ("sqlite+aiosqlite:///evreg.db", ["pysqlite", "sqlite:///"]),
    ("sqlite:/evreg.db", ["not a database URL"]),
    ("postgresql+psycopg://evreg:s3cret@db:port/evreg", ["not a database URL"]),
    ("sqlite://", ["in-memory"]),
    ("sqlite:///:memory:", ["in-memory"]),
    ("sqlite:///{folder}/missing/evreg.db", ["missing", "does not exist"]),
    ("sqlite:///{folder}/a-file/evreg.db", ["a-file", "is not a folder"]),
    ("sqlite:///{folder}", ["is a folder"]),
    ("sqlite:////proc/evreg.db", ["/proc"]),
]


@pytest.mark.parametrize(("url", "words"), BAD_URLS, ids=[u for u, _ in BAD_URLS])
def test_a_bad_database_url_is_refused_naming_it(url: str, words: list[str], folder: Path) -> None:
    url = url.format(folder=folder)
    line = refusal(serve("--database-url", url, cwd=folder), 2, "EVREG_DATABASE_URL", *words)
    assert "--database-url" in line
    assert "s3cret" not in line  # the password is never shown


def test_the_variable_is_named_when_the_url_comes_from_the_environment(folder: Path) -> None:
    done = serve(cwd=folder, env={"EVREG_DATABASE_URL": "nosuchdb://x"})
    refusal(done, 2, "EVREG_DATABASE_URL='nosuchdb://x'", "not 'nosuchdb'")


def test_an_empty_database_url_flag_is_refused(folder: Path) -> None:
    refusal(serve("--database-url", "", cwd=folder), 2, "--database-url", "empty")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_sqlite_folder_that_is_not_writable_is_refused(folder: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    done = serve("--database-url", f"sqlite:///{locked}/evreg.db", cwd=folder)
    refusal(done, 2, "EVREG_DATABASE_URL", str(locked), "not writable")
    assert list(locked.iterdir()) == []


def test_a_file_that_is_not_a_database_is_refused_and_kept(folder: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("these are notes, not a SQLite database\n" * 100)
    done = serve("--database-url", f"sqlite:///{text}", cwd=folder)
    refusal(done, 2, "EVREG_DATABASE_URL", "not a database")
    assert text.read_text() == "these are notes, not a SQLite database\n" * 100


# ---------------------------------------------------------------- PostgreSQL


def _with(url: str, *, port: int | None = None, database: str | None = None, user: str = "") -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user or parts.username or 'postgres'}:s3cret@{host}:{port or parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database or parts.path[1:]}"))


def test_a_postgresql_port_nothing_listens_on_is_unreachable(folder: Path) -> None:
    url = _with(postgres_server_url(), port=free_port())
    line = refusal(serve("--database-url", url, cwd=folder), 3, "EVREG_DATABASE_URL", "unreachable")
    assert url.replace(":s3cret@", ":***@") in line  # the URL, its password hidden
    assert "s3cret" not in line


def test_a_postgresql_database_that_does_not_exist_is_refused(folder: Path) -> None:
    url = _with(postgres_server_url(), database="evreg_no_such_database")
    line = refusal(serve("--database-url", url, cwd=folder), 2, "EVREG_DATABASE_URL")
    assert 'database "evreg_no_such_database" does not exist' in line
    assert "s3cret" not in line


def test_a_postgresql_role_that_does_not_exist_is_refused(folder: Path) -> None:
    url = _with(postgres_server_url(), user="evreg_no_such_role")
    line = refusal(serve("--database-url", url, cwd=folder), 2, "EVREG_DATABASE_URL")
    assert 'role "evreg_no_such_role" does not exist' in line


# ---------------------------------------------------------------- the other settings

BAD_SETTINGS = [
    # (variable, value, words the message must hold besides the variable)
    ("EVREG_DB_POOL_SIZE", "abc", ["whole number"]),
    ("EVREG_DB_POOL_SIZE", "0", ["1 or more"]),
    ("EVREG_DB_MAX_OVERFLOW", "-1", ["0 or more"]),
    ("EVREG_PAYLOAD_SUBJECT_STRATEGY", "bad", ["topic-name", "record-name"]),
    ("EVREG_MAX_PROPERTIES", "-1", ["0 for no limit"]),
    ("EVREG_MAX_SCHEMA_NODES", "ten", ["0 for no limit"]),
    ("EVREG_MAX_BODY_BYTES", "4MB", ["whole number"]),
    ("EVREG_CACHE_SIZE", "-1", ["0 or more"]),
    ("EVREG_PAYLOAD_SUBJECTS", "maybe", ["true or false"]),
    ("EVREG_LOG_LEVEL", "loud", ["--log-level", "debug"]),
    ("EVREG_LOG_FORMAT", "xml", ["json", "text"]),
    ("EVREG_AUTH", "maybe", ["--auth", "auto or required"]),
    ("EVREG_AUTH_READS", "sometimes", ["open", "token"]),
    ("EVREG_LOAD_DIR", "{folder}/missing", ["--load", "not a directory"]),
]
ON_POSTGRES = ["EVREG_DB_POOL_SIZE=abc", "EVREG_AUTH=maybe", "EVREG_LOAD_DIR={folder}/missing"]


@pytest.mark.parametrize(
    ("name", "value", "words"), BAD_SETTINGS, ids=[f"{n}={v}" for n, v, _ in BAD_SETTINGS]
)
def test_a_bad_setting_is_refused_naming_it(
    name: str, value: str, words: list[str], folder: Path
) -> None:
    """Against the default database (``./evreg.db``): the folder fixture checks it is not
    created."""
    value = value.format(folder=folder)
    refusal(serve(cwd=folder, env={name: value}), 2, f"{name}={value!r}", *words)


def _tables(url: str) -> list[str]:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize("setting", ON_POSTGRES)
def test_a_bad_setting_leaves_a_postgresql_database_untouched(
    setting: str, folder: Path, tmp_path: Path
) -> None:
    name, value = setting.format(folder=folder).split("=", 1)
    with fresh_database("postgresql", tmp_path) as url:
        done = serve("--database-url", url, cwd=folder, env={name: value})
        refusal(done, 2, name)
        assert _tables(url) == []


BAD_FLAGS = [
    (["--log-level", "loud"], ["--log-level", "debug"]),
    (["--auth", "maybe"], ["--auth", "auto or required"]),
    (["--load", "{folder}/missing"], ["--load", "not a directory"]),
]


@pytest.mark.parametrize(("args", "words"), BAD_FLAGS, ids=[a[0] for a, _ in BAD_FLAGS])
def test_a_bad_flag_is_refused_naming_it(args: list[str], words: list[str], folder: Path) -> None:
    refusal(serve(*(a.format(folder=folder) for a in args), cwd=folder), 2, *words)


def test_good_settings_start_and_a_misspelt_name_is_warned_about(
    folder: Path, tmp_path: Path
) -> None:
    """The control: good values get past the checks and the server starts (the other serve
    tests exercise the server itself); an unknown ``EVREG_*`` name that looks like a setting
    is warned about, one the CLI reads is not."""
    database = tmp_path / "good.db"
    command = [*evreg_command(), "serve", "--port", str(free_port())]
    command += ["--database-url", f"sqlite:///{database}", "--log-level", "warning"]
    env = clean_env(
        EVREG_DB_POOL_SIZE="2",
        EVREG_PAYLOAD_SUBJECTS="off",
        EVREG_POOL_SIZE="20",
        EVREG_SUBJECT_STRATEGY="file-name",  # the CLI's (evreg push), not the registry's
    )
    process = subprocess.Popen(
        command, cwd=folder, env=env, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stderr is not None
        warning, started = process.stderr.readline(), process.stderr.readline()
        assert warning == (
            "warning: EVREG_POOL_SIZE is not a registry setting and is ignored; "
            "did you mean EVREG_DB_POOL_SIZE?\n"
        )
        assert started.startswith("evreg registry on http://"), started
        assert database.exists()
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("token", ["s3cr3t", "short-secret-0123456789", "a" * 40 + " b"])
def test_a_weak_bootstrap_token_is_refused_without_showing_it(token: str, folder: Path) -> None:
    """An operator-set admin token needs 32 characters and no white space; the error names the
    variable but never echoes the secret."""
    line = refusal(
        serve(cwd=folder, env={"EVREG_BOOTSTRAP_TOKEN": token}),
        2,
        "EVREG_BOOTSTRAP_TOKEN='***'",
        "32 characters",
    )
    assert token not in line
