"""The ``evreg`` entry point: version, help, usage and input errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from evreg import __version__
from evreg.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"evreg {__version__}"


@pytest.mark.parametrize("command", [[], ["compat"], ["rules"]])
def test_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: evreg" in out
    example = out.split("Example", 1)[1]
    assert f"evreg {command[0] if command else 'compat'}" in example


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "compat" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "frobnicate" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["compat", str(missing), str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {missing}: no such file\n"


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", str(tmp_path), str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path}: ")


@pytest.mark.parametrize(
    ("option", "value"), [("--level", "SIDEWAYS"), ("--policy", "LAX"), ("--format", "xml")]
)
def test_bad_option_values(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.json"
    path.write_text("{}")
    assert main(["compat", str(path), str(path), option, value]) == 2
    err = capsys.readouterr().err
    assert value in err
    assert "Traceback" not in err
