"""Registry processes without the interpreter's start-up: a fork server for the tests.

A registry process spends ~90% of its start-up CPU importing (``python -X importtime -c
"import evreg.registry.app"``: ~1.2 s of ~1.4 s; building the app, migrating and answering the
first ``/health`` take the rest), and the suite starts ~200 of them (module fixtures, the kill -9
rounds, the fault and auth tests). So each test worker runs one **fork server**: a
single-threaded Python process that imports uvicorn, the registry app and the CLI once, then
forks one child per registry. A child is an ordinary process of its own (its own pid, port,
environment, working directory and log; SIGTERM runs uvicorn's graceful shutdown, SIGKILL is a
crash), and runs the very code the commands run: ``evreg.cli.main.main(["serve", ...])`` for
``evreg serve``, uvicorn's own command-line entry for ``python -m uvicorn``. Only the imports are
shared, done before the fork in a process that has no EVREG_* variable, no thread and no open
database. (``tests/integration/registry/test_serve.py`` and the CLI tests still run the
installed ``evreg`` executable itself.)

Protocol: one JSON line per request on the server's stdin, one JSON line back on its stdout:

- ``{"run": argv, "env": {...}, "cwd": path, "log": path}`` -> ``{"pid": N}``: fork a child
  whose stdout and stderr are appended to ``log`` (or to ``"stdout"`` and ``"stderr"``, two
  paths of their own), stdin ``/dev/null``; ``argv[0]`` is ``"evreg"`` or ``"uvicorn"``;
- ``{"status": N}`` -> ``{"returncode": code or null}`` (null: still running); the server reaps
  its children on every request, a signal's death is ``-signal`` as with ``subprocess``.

``python tests/forkserver.py`` is the server; :class:`ForkedProcess` is the handle the tests
use (the part of ``subprocess.Popen`` that ``tests/servers.py`` needs), :func:`run` the
``subprocess.run(..., capture_output=True, text=True)`` of a command that ends (``evreg check
...``: ``servers.run_evreg``, which the CLI tests use). Set
``EVREG_TEST_FORKSERVER=0`` to start every registry as a fresh interpreter instead.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import locale
import os
import pkgutil
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

# Linux only (macOS forks badly once system frameworks are loaded): elsewhere every registry
# is a fresh interpreter, as with EVREG_TEST_FORKSERVER=0
ENABLED = sys.platform == "linux" and os.environ.get("EVREG_TEST_FORKSERVER", "1") != "0"
POLL = 0.01  # seconds between two status requests while waiting for a child
STOP_WAIT = 10.0  # seconds for the fork server to exit once its stdin is closed


PRELOAD = (
    "uvicorn.main",
    "uvicorn.protocols.http.h11_impl",
    "evreg.registry.app",
    "evreg.registry.http_protocol",
    "evreg.registry.settings",
    "httpcore._sync.connection_pool",  # what an httpx.Client imports when it is made
    "typer._adapters",
)


def _preload() -> None:
    """Import what the registries and the CLI's commands import (each command imports its
    libraries only when it runs: here all of them, once, instead of in every child), then
    move every object to the garbage collector's permanent generation, so that a child's
    collections do not touch (and copy) the pages it shares with the server."""
    for name in PRELOAD:
        importlib.import_module(name)
    for package_name in ("evreg.cli", "evreg.codegen"):
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(module.name)
    gc.freeze()


def _redirect(fd: int, path: str, flags: int) -> None:
    opened = os.open(path, flags, 0o644)
    os.dup2(opened, fd)
    os.close(opened)


def _child(argv: Sequence[str], env: Mapping[str, str], cwd: str, files: Mapping[str, str]) -> None:
    """In the forked child: become the process ``argv`` names, then exit with its code.
    ``files``: ``stdin`` (read), ``stdout`` and ``stderr`` (appended to) paths."""
    code = 1
    try:
        # signal dispositions stay the fork server's: those of a fresh interpreter (SIGPIPE
        # ignored, so a write to a closed socket is an error, SIGINT a KeyboardInterrupt)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        append = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        _redirect(0, files["stdin"], os.O_RDONLY)
        _redirect(1, files["stdout"], append)
        _redirect(2, files["stderr"], append)
        # the streams a fresh interpreter opens on them (stderr: backslashreplace)
        encoding = sys.__stdout__.encoding if sys.__stdout__ is not None else "utf-8"
        sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding=encoding, buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(  # noqa: SIM115
            2, "w", encoding=encoding, errors="backslashreplace", buffering=1, closefd=False
        )
        sys.argv = list(argv)
        try:
            if argv[0] == "evreg":
                from evreg.cli.main import main

                code = main(list(argv[1:]))
            elif argv[0] == "uvicorn":
                import uvicorn.main

                uvicorn.main.main(args=list(argv[1:]), prog_name="uvicorn")
                code = 0
            else:
                print(f"forkserver: no such command {argv[0]!r}", file=sys.stderr)
                code = 2
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(requests: TextIO, answers: TextIO) -> None:
    """The fork server's loop: until its stdin closes."""
    exited: dict[int, int] = {}

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            exited[pid] = os.waitstatus_to_exitcode(status)

    for line in requests:
        request = json.loads(line)
        reap()
        if "run" in request:
            pid = os.fork()
            if pid == 0:
                log = request.get("log", os.devnull)
                files = {"stdin": os.devnull, "stdout": log, "stderr": log}
                files.update({k: request[k] for k in files if k in request})
                _child(request["run"], request["env"], request["cwd"], files)
            answer: dict[str, Any] = {"pid": pid}
        else:
            answer = {"returncode": exited.get(request["status"])}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    reap()


class ForkServer:
    """The client side: one fork server per test process, started on first use."""

    _lock = threading.Lock()
    _instance: ForkServer | None = None

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVREG_")}
        self.process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    @classmethod
    def get(cls) -> ForkServer:
        with cls._lock:
            if cls._instance is None or cls._instance.process.poll() is not None:
                cls._instance = cls()
                atexit.register(cls._instance.close)
            return cls._instance

    def close(self) -> None:
        """End the fork server (its children were stopped by their tests) and reap it, so that
        its CPU time and its children's count in this process's (``time``, ``getrusage``)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self._lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server exited ({self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer


class ForkedProcess:
    """A child of the fork server, handled like a ``subprocess.Popen``. Its stdout and stderr
    are appended to ``log``, or to ``stdout`` and ``stderr`` when those are given."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        log: Path | None = None,
        cwd: Path | None = None,
        *,
        stdout: Path | None = None,
        stderr: Path | None = None,
    ) -> None:
        self.args = list(argv)
        self.server = ForkServer.get()
        request: dict[str, Any] = {
            "run": self.args,
            "env": dict(env),
            "cwd": str(cwd or Path.cwd()),
        }
        if log is not None:
            request["log"] = str(log)
        if stdout is not None:
            request["stdout"] = str(stdout)
        if stderr is not None:
            request["stderr"] = str(stderr)
        self.pid: int = self.server.ask(request)["pid"]
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.ask({"status": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        exited = self._exit_notice()
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            if exited is not None:  # sleep until the child exits (or the deadline)
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                select.select([exited], [], [], left)
            else:
                time.sleep(POLL)
        if exited is not None:
            os.close(exited)
        return code

    def _exit_notice(self) -> int | None:
        """A pidfd of the child (readable once it has exited), where Linux gives one; else
        ``wait`` polls the fork server every ``POLL`` seconds."""
        try:
            return os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # an old kernel, or the child is already reaped
            return None

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it has just exited
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def run(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True, stdin=DEVNULL, ...)`` for a
    command of the fork server (``evreg ...``): its stdout and stderr go to two files, read
    back as ``text=True`` reads pipes (the locale's encoding, universal newlines). On timeout
    the child is killed and ``subprocess.TimeoutExpired`` raised, as ``subprocess.run`` does."""
    with tempfile.TemporaryDirectory(prefix="evreg-forked-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        process = ForkedProcess(argv, env, cwd=cwd, stdout=out, stderr=err)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise subprocess.TimeoutExpired(
                process.args, timeout, _read(out).encode(), _read(err).encode()
            ) from None
        return subprocess.CompletedProcess(process.args, code, _read(out), _read(err))


def _read(path: Path) -> str:
    return path.read_text(encoding=locale.getpreferredencoding(False)) if path.exists() else ""


if __name__ == "__main__":
    _preload()
    serve(sys.stdin, sys.stdout)
