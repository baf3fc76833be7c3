"""``evreg compat`` plumbing with the core replaced by fakes: what is passed, what comes out.

The end-to-end tests with the real engine live in tests/integration/test_cli_compat.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import evreg
from evreg.cli.main import main
from evreg.contracts import ContractError
from evreg.contracts.compat import Finding, Level, Policy, Report

BREAKING = Finding(
    rule="REQUIRED_ATTRIBUTE_ADDED",
    path="#/required/phone",
    message="phone is now required",
    breaking=True,
    witness={"id": "x"},
    has_witness=True,
)


class FakeCore:
    def __init__(self, findings: tuple[Finding, ...] = ()) -> None:
        self.findings = findings
        self.loaded: list[tuple[str, str | None]] = []
        self.checks: list[dict[str, Any]] = []

    def load_contract(self, source: str, *, name: str | None = None, **_: Any) -> Any:
        if source.startswith("BROKEN"):
            raise ContractError("mapping values are not allowed here\n  in line 3", line=3)
        self.loaded.append((source, name))
        return {"text": source}

    def check_compatibility(
        self, previous: Any, current: Any, level: Any, policy: Any, witnesses: bool
    ) -> Report:
        self.checks.append(
            {"previous": previous, "current": current, "level": level, "policy": policy}
            | {"witnesses": witnesses}
        )
        return Report(level=Level(level), policy=Policy(policy), findings=self.findings)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.json"
    old.write_text("type: object\n")
    new.write_text('{\n  "type": "object",\n  "required": [\n    "phone"\n  ]\n}\n')
    return old, new


def install(monkeypatch: pytest.MonkeyPatch, core: FakeCore) -> FakeCore:
    monkeypatch.setattr(evreg, "load_contract", core.load_contract)
    monkeypatch.setattr(evreg, "check_compatibility", core.check_compatibility)
    return core


def test_passes_texts_names_and_options(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    core = install(monkeypatch, FakeCore())
    old, new = files
    code = main(["compat", str(old), str(new), "--level", "full", "-p", "lenient", "--no-witness"])
    assert code == 0
    assert core.loaded == [(old.read_text(), str(old)), (new.read_text(), str(new))]
    [check] = core.checks
    assert check["previous"] == {"text": old.read_text()}
    assert check["current"] == {"text": new.read_text()}
    assert (check["level"], check["policy"], check["witnesses"]) == (
        Level.FULL,
        Policy.LENIENT,
        False,
    )
    assert capsys.readouterr().out.startswith("COMPATIBLE")


def test_defaults(monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path]) -> None:
    core = install(monkeypatch, FakeCore())
    assert main(["compat", *map(str, files)]) == 0
    [check] = core.checks
    assert (check["level"], check["policy"], check["witnesses"]) == (
        Level.BACKWARD,
        Policy.STRICT,
        True,
    )


def test_breaking_exits_1_in_every_format(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, FakeCore((BREAKING,)))
    old, new = map(str, files)

    assert main(["compat", old, new]) == 1
    assert '{"id":"x"}' in capsys.readouterr().out

    assert main(["compat", old, new, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["old"], data["new"], data["is_compatible"]) == (old, new, False)

    assert main(["compat", old, new, "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith(
        f"::error file={new},line=4,title=REQUIRED_ATTRIBUTE_ADDED::#/required/phone: "
    )


def test_contract_error_is_one_line_with_file_and_line(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    core = install(monkeypatch, FakeCore())
    old, new = files
    new.write_text("BROKEN: [\n")
    assert main(["compat", str(old), str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {new}:3: mapping values are not allowed here in line 3\n"
    assert core.checks == []


def test_missing_new_file_is_reported_before_loading(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    core = install(monkeypatch, FakeCore())
    old, new = files
    new.unlink()
    assert main(["compat", str(old), str(new)]) == 2
    assert capsys.readouterr().err == f"error: {new}: no such file\n"
    assert core.loaded == []


def test_not_utf8(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, FakeCore())
    old, new = files
    new.write_bytes(b"\xff\xfe\x00")
    assert main(["compat", str(old), str(new)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {new}: not UTF-8 text")


def test_unexpected_errors_exit_3_not_1(
    monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_: Any, **__: Any) -> Report:
        raise RuntimeError("engine bug")

    install(monkeypatch, FakeCore())
    monkeypatch.setattr(evreg, "check_compatibility", boom)
    monkeypatch.delenv("EVREG_DEBUG", raising=False)
    assert main(["compat", *map(str, files)]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: engine bug" in err
    assert "Traceback" not in err
