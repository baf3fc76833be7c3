"""Every command of the issue has a --help with an example of itself."""

from __future__ import annotations

import pytest

from evreg.cli.main import main

COMMANDS = [
    ["init"],
    ["push"],
    ["check"],
    ["diff"],
    ["pull"],
    ["subjects"],
    ["show"],
    ["config"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: evreg {' '.join(command)}" in out
    assert f"evreg {' '.join(command)}" in out.split("Example", 1)[1]


def test_token_group_lists_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token"]) == 2
    out = capsys.readouterr().out
    assert all(name in out for name in ("create", "list", "revoke"))


@pytest.mark.parametrize(
    "args",
    [
        ["pull", "s", "--version", "two"],
        ["config", "s", "--unset", "--level", "FULL"],
        ["check", "--against", "git:"],
        ["check", "/no/such/path"],
        ["push", "/no/such/path"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--registry", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
