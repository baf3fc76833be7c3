"""A closed pipe is not a finding: the real ``evreg`` executable writing into a pipe whose
reader went away (``evreg rules | head -2``) exits quietly, 141 (the shell's 128 + SIGPIPE) or 0
when it had written everything before, never 1 (the "incompatible" code), and prints nothing on
stderr (no ``BrokenPipeError``, no "Exception ignored")."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from test_cli_helpers import clean_env, evreg_command

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contracts" / "order_placed.yaml"

# commands that print a lot, without a registry
LONG_OUTPUT = {
    "rules": ["rules"],
    "rules-json": ["rules", "--format", "json"],
    "compat-json": ["compat", str(CONTRACT), str(CONTRACT), "--format", "json"],
    "help": ["generate", "--help"],
}


@pytest.mark.parametrize("args", LONG_OUTPUT.values(), ids=LONG_OUTPUT.keys())
def test_reader_gone_before_the_first_write_exits_141_quietly(args: list[str]) -> None:
    """The read end is closed before evreg writes anything: every write fails with EPIPE."""
    process = subprocess.Popen(
        [*evreg_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=clean_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # no reader left: evreg has not started writing yet
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert process.returncode == 141, stderr
    assert stderr == ""


def test_rules_piped_into_head_is_quiet() -> None:
    """As a user types it, in a shell with pipefail (the status is evreg's, not head's)."""
    line = f"{shlex.join(evreg_command())} rules | head -2"
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
    )
    full = subprocess.run(
        [*evreg_command(), "rules"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
    )
    assert full.returncode == 0, full.stderr
    assert result.returncode in (0, 141), result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == full.stdout.splitlines()[:2]
