"""``mypy`` over generated code, with one incremental cache per configuration for the session.

Most of a ``mypy --strict`` run over a small generated package is mypy reading typeshed, pydantic
and jsonschema's stubs (5 s of CPU of a 5.5 s run; with their analysis read back from a cache,
0.4 s). The tests that type-check generated packages therefore share one cache per configuration
(``key``: the same options, so that one run's cache is valid for the next) in the session's
temporary folder, shared by the pytest-xdist workers of one run and new for each run: nothing
outside the run is read. The generated packages themselves are new files in a new folder each
time, so mypy checks them in full; a module with an error is reported from the cache as from a
fresh run (and mypy exits 1 the same). A file lock keeps two workers from writing one cache at
once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder, the same for every pytest-xdist worker of the run."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def mypy(
    tmp_path_factory: pytest.TempPathFactory,
    key: str,
    *args: str,
    cwd: Path,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``python -m mypy ARGS`` in ``cwd`` with the run's cache for ``key`` (one key per set of
    options: ``strict``, ``strict-pydantic``), without ``EVREG_URL``."""
    caches = _session_folder(tmp_path_factory) / "mypy-caches"
    caches.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "EVREG_URL"}
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(caches / key), *args]
    with _locked(caches / f"{key}.lock"):
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
        )
