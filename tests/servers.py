"""A registry in a child process for the tests: start it on a free port, wait until
``GET /health`` answers 200, stop it (only it) afterwards.

One helper for every test that needs a real server process:

- ``RegistryProcess(database_url, log_path, ...)``: ``start()`` / ``stop()`` / ``kill()`` (SIGKILL,
  what a crash looks like), ``url``, ``port``, ``log_path``.
- ``running_registry(...)``: the same as a ``with`` block (for module-scoped fixtures).
- the ``registry_process`` fixture in ``tests/conftest.py``: a factory that stops what it started.

Two ways to launch it: ``via="serve"`` runs ``evreg serve --port P --database-url URL
[--load DIR] --log-level warning`` (the command users run), ``via="uvicorn"`` runs uvicorn on the
app factory with the database in ``EVREG_DATABASE_URL`` (and ``--load`` as ``EVREG_LOAD_DIR``).
Both are forked from the worker's fork server (``tests/forkserver.py``: the same command,
without paying the interpreter's start-up and imports again; ``EVREG_TEST_FORKSERVER=0`` execs
it instead). ``env`` is the child's whole environment; by default this process's without any
``EVREG_*`` variable (so the machine's settings do not leak into the server). stdout and stderr
go to ``log_path`` (appended to). When the server does not come up within ``timeout`` seconds, or
exits, ``start`` stops it and raises ``RegistryDidNotStart`` naming the command (with the port),
the exit code or the timeout, and the last lines the server wrote. A port that another process
took between ``free_port()`` and the server's bind ("address already in use") is tried again
on a new port, up to ``BIND_ATTEMPTS`` times.

Imported as ``servers``: pytest puts ``tests/`` on ``sys.path`` for ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Self

import httpx

import forkserver
from forkserver import ENABLED as FORKED
from forkserver import ForkedProcess

START_TIMEOUT = 90.0  # seconds for the process to answer GET /health with 200
STOP_GRACE = 15.0  # seconds between SIGTERM and SIGKILL
TAIL_LINES = 40  # lines of the server's output quoted when it does not start
BIND_ATTEMPTS = 3  # another process may take the free port before the server binds it

Launcher = Literal["serve", "uvicorn"]


class RegistryDidNotStart(RuntimeError):
    """The registry process exited or did not answer ``GET /health`` in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def evreg_command() -> list[str]:
    """The installed ``evreg`` executable beside this Python, else ``python -m evreg.cli.main``."""
    script = Path(sys.executable).with_name("evreg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evreg.cli.main"]


def run_evreg(
    *args: str | Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """``evreg ARGS`` run to its end, as ``subprocess.run(..., capture_output=True, text=True,
    stdin=subprocess.DEVNULL)`` runs it: forked from the worker's fork server (the same entry
    point, ``evreg.cli.main.main``, in a process of its own with ``env`` and ``cwd``, without
    the interpreter's start-up and imports: ~0.05 s of CPU instead of ~0.6 s), or executed
    with ``EVREG_TEST_FORKSERVER=0``. ``args`` of the result is the executable's command."""
    argv = [str(arg) for arg in args]
    if FORKED:
        done = forkserver.run(["evreg", *argv], env=env, cwd=cwd, timeout=timeout)
        done.args = [*evreg_command(), *argv]
        return done
    return subprocess.run(
        [*evreg_command(), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def without_evreg_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``EVREG_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVREG_")}
    env.update(extra)
    return env


class RegistryProcess:
    """A registry in a child process on a free port (chosen again at each ``start``)."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        load: Path | None = None,
        via: Launcher = "serve",
        timeout: float = START_TIMEOUT,
    ) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.env = dict(env) if env is not None else without_evreg_env()
        self.load = load
        self.via = via
        self.timeout = timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | ForkedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        program, args = self._program()
        if program == "uvicorn":
            return [sys.executable, "-m", "uvicorn", *args]
        return [*evreg_command(), *args]

    def _program(self) -> tuple[Launcher, list[str]]:
        """``uvicorn`` or ``evreg``, and its arguments."""
        if self.via == "uvicorn":
            return "uvicorn", [
                *("evreg.registry.app:create_app", "--factory"),
                *("--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"),
            ]
        args = ["serve", "--port", str(self.port), "--database-url", self.database_url]
        if self.load is not None:
            args += ["--load", str(self.load)]
        return "serve", [*args, "--log-level", "warning"]

    def child_env(self) -> dict[str, str]:
        if self.via == "serve":
            return self.env
        env = {**self.env, "EVREG_DATABASE_URL": self.database_url}
        if self.load is not None:
            env["EVREG_LOAD_DIR"] = str(self.load)
        return env

    def start(self, timeout: float | None = None) -> Self:
        """Start the process and return once ``GET /health`` answers 200."""
        limit = self.timeout if timeout is None else timeout
        for attempt in range(1, BIND_ATTEMPTS + 1):
            self.port = free_port()
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            if FORKED:  # the same command, forked from a process that has imported it
                program, args = self._program()
                argv = ["uvicorn" if program == "uvicorn" else "evreg", *args]
                self.process = ForkedProcess(argv, self.child_env(), self.log_path)
            else:
                with self.log_path.open("ab") as log:
                    self.process = subprocess.Popen(
                        self.command(),
                        env=self.child_env(),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    )
            if self._wait_healthy(limit):
                return self
            exit_code = self.process.poll()  # None: still running, so it timed out
            self.stop()
            output = self._output_since(offset)
            if attempt < BIND_ATTEMPTS and "address already in use" in output.lower():
                continue  # the port was taken between free_port() and the server's bind
            raise RegistryDidNotStart(self._failure(limit, exit_code, output))
        raise AssertionError("unreachable")

    def _wait_healthy(self, limit: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def _output_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def _failure(self, limit: float, exit_code: int | None, output: str) -> str:
        how = (
            f"did not answer GET {self.url}/health with 200 within {limit:g} s"
            if exit_code is None
            else f"exited with code {exit_code}"
        )
        lines = output.splitlines()
        if not lines:
            return f"registry did not start: {' '.join(self.command())} {how}; it wrote nothing."
        return (
            f"registry did not start: {' '.join(self.command())} {how}.\n"
            f"The last {min(len(lines), TAIL_LINES)} lines of its output (stdout and stderr, "
            f"{self.log_path}):\n" + "\n".join(lines[-TAIL_LINES:])
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush: what a crash looks like."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM to this process only, SIGKILL if it has not exited after ``STOP_GRACE``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running_registry(
    database_url: str,
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    load: Path | None = None,
    via: Launcher = "serve",
    timeout: float = START_TIMEOUT,
) -> Iterator[RegistryProcess]:
    """A started ``RegistryProcess``, stopped when the block ends."""
    server = RegistryProcess(database_url, log_path, env=env, load=load, via=via, timeout=timeout)
    server.start()
    try:
        yield server
    finally:
        server.stop()
