"""The ``evreg`` command: ``main()`` runs the typer app (``evreg/cli/app.py``) and turns errors
into exit codes.

Exit codes: 0 ok, 1 incompatible (or findings), 2 usage or input error, 3 registry unreachable,
server or internal error, 130 interrupted (Ctrl-C, the shell's 128 + SIGINT), 141 standard output
closed early (``evreg rules | head -2``: the shell's 128 + SIGPIPE, as ``yes | head`` reports it;
nothing is printed on stderr: a closed pipe is not a finding).

This module imports nothing heavy: ``evreg --version`` is answered before typer is imported, an
unchanged ``evreg check`` is replayed from its cache (``check_cache.py``) likewise, and the app,
its commands and their libraries are imported only when a command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, as shells report `yes | head`

VERSION_FLAGS = (["--version"], ["-V"])


def _error(message: str) -> None:
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {one_line}", file=sys.stderr)


def _exit_code(exc: Exception) -> int:
    """The exit code (and the one-line message) for an exception a command let through."""
    from evreg.cli.client import RegistryRefused, RegistryUnavailable
    from evreg.cli.sources import InputError
    from evreg.contracts.errors import ContractError

    if isinstance(exc, ContractError):
        for line in exc.lines():
            _error(line)
        return EXIT_INPUT
    if isinstance(exc, InputError | RegistryRefused):
        _error(str(exc))
        return EXIT_INPUT
    if isinstance(exc, RegistryUnavailable):
        _error(str(exc))
        return EXIT_INTERNAL
    if os.environ.get("EVREG_DEBUG"):
        import traceback

        traceback.print_exc()
    _error(
        f"internal error in evreg: {type(exc).__name__}: {exc} "
        "(a bug: rerun with EVREG_DEBUG=1 for the traceback and please report it)"
    )
    return EXIT_INTERNAL


def _closed_pipe() -> int:
    """The reader of standard output went away (``evreg rules | head -2``): point stdout at
    /dev/null so that nothing more (not the interpreter's flush at exit) fails on it, as the
    Python docs' recipe for SIGPIPE does, and exit quietly."""
    stream = sys.__stdout__
    if stream is not None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no file descriptor (an in-memory stdout in tests)
            pass
    return EXIT_CLOSED_PIPE


def _stdout_file() -> tuple[int, int] | None:
    """What file descriptor 1 is (device, inode), to notice it being pointed at /dev/null."""
    try:
        status = os.fstat(1)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # what is still buffered fails here, not in the interpreter's exit
    except BrokenPipeError:
        return _closed_pipe()
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in VERSION_FLAGS:  # what `evreg --version` answers, without importing typer
        from evreg import __version__

        print(f"evreg {__version__}")
        return EXIT_OK
    if args[:1] == ["check"]:  # an unchanged check is replayed (evreg/cli/check_cache.py)
        from evreg.cli import check_cache

        replayed = check_cache.replay(args)
        if replayed is not None:
            return replayed
        record = check_cache.recording(args)
        if record is not None:
            with record:
                code, verdict = _run(args)
                if verdict:
                    record.store(code)
            return code
    return _run(args)[0]


def _run(args: list[str]) -> tuple[int, bool]:
    """The exit code, and whether the command ended with its verdict (not an exception)."""
    stdout = sys.stdout, _stdout_file()
    try:
        from evreg.cli.app import app

        app(args=args, prog_name="evreg")
    except SystemExit as exc:
        # On EPIPE typer swaps sys.stdout for a quiet wrapper and rich points file descriptor 1
        # at /dev/null; both then exit 1, which is not a verdict here.
        if (sys.stdout, _stdout_file()) != stdout:
            return _closed_pipe(), False
        code = exc.code
        if code is None:
            return EXIT_OK, True
        if code == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into a silent exit 130
            _error("interrupted")
            return EXIT_INTERRUPTED, False
        if isinstance(code, int):
            return code, True
        print(code, file=sys.stderr)
        return EXIT_FINDINGS, False
    except KeyboardInterrupt:  # before or after typer's own handling
        _error("interrupted")
        return EXIT_INTERRUPTED, False
    except BrokenPipeError:
        return _closed_pipe(), False
    except Exception as exc:
        return _exit_code(exc), False
    return EXIT_OK, True


if __name__ == "__main__":
    sys.exit(main())
