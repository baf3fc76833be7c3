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
  whose stdout and stderr are appended to ``log``, stdin ``/dev/null``; ``argv[0]`` is
  ``"evreg"`` or ``"uvicorn"``;
- ``{"status": N}`` -> ``{"returncode": code or null}`` (null: still running); the server reaps
  its children on every request, a signal's death is ``-signal`` as with ``subprocess``.

``python tests/forkserver.py`` is the server; :class:`ForkedProcess` is the handle the tests
use (the part of ``subprocess.Popen`` that ``tests/servers.py`` needs). Set
``EVREG_TEST_FORKSERVER=0`` to start every registry as a fresh interpreter instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
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


def _preload() -> None:
    import uvicorn.main
    import uvicorn.protocols.http.h11_impl  # noqa: F401

    import evreg.cli.app
    import evreg.cli.main
    import evreg.cli.serve_cmd
    import evreg.registry.app
    import evreg.registry.http_protocol
    import evreg.registry.settings  # noqa: F401


def _child(argv: Sequence[str], env: Mapping[str, str], cwd: str, log: str) -> None:
    """In the forked child: become the process ``argv`` names, then exit with its code."""
    code = 1
    try:
        # signal dispositions stay the fork server's: those of a fresh interpreter (SIGPIPE
        # ignored, so a write to a closed socket is an error, SIGINT a KeyboardInterrupt)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
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
                _child(request["run"], request["env"], request["cwd"], request["log"])
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
    """A child of the fork server, handled like a ``subprocess.Popen``."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
    ) -> None:
        self.args = list(argv)
        self.server = ForkServer.get()
        request = {"run": self.args, "env": dict(env), "cwd": str(cwd or Path.cwd())}
        self.pid: int = self.server.ask({**request, "log": str(log)})["pid"]
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.ask({"status": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            time.sleep(POLL)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it has just exited
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


if __name__ == "__main__":
    _preload()
    serve(sys.stdin, sys.stdout)
