"""Ctrl-C: the real ``evreg`` executable, interrupted with SIGINT while it waits on a registry
that accepted the connection and never answers, exits 130 with one line and no traceback."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import pytest
from test_cli_helpers import clean_env, evreg_command

REPO = Path(__file__).resolve().parents[2]


def _as_a_shell_starts_it() -> None:
    """In the child before exec: SIGINT at its default and unblocked, as a shell leaves it. An
    ignored or blocked signal survives exec, and in a full xdist run one worker's earlier tests
    left it so (all three cases timed out there after the SIGINT, and passed alone)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@pytest.mark.parametrize(
    "args",
    [
        ["push", str(REPO / "contracts" / "order_placed.yaml")],
        ["check", str(REPO / "contracts")],
        ["subjects"],
    ],
    ids=["push", "check", "subjects"],
)
def test_sigint_while_waiting_on_the_registry_exits_130(args: list[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        process = subprocess.Popen(
            [*evreg_command(), *args, "--registry", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=clean_env(),
            preexec_fn=_as_a_shell_starts_it,
        )
        try:
            silent.settimeout(60)
            connection, _ = silent.accept()  # evreg is now waiting for an answer
            with connection:
                process.send_signal(signal.SIGINT)
                stdout, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 130, stdout + stderr
    assert stderr == "error: interrupted\n"
    assert "Traceback" not in stdout + stderr
    assert "Aborted" not in stdout + stderr
