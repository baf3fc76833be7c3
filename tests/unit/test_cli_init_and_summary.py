"""``evreg init`` in-process, and the markdown job summary of ``evreg check``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from evreg.cli.check_cmd import FileResult, Status, summary_markdown
from evreg.cli.client import PayloadReport
from evreg.cli.config import load_settings
from evreg.cli.files import ContractFile
from evreg.cli.main import main
from evreg.contracts import load_contract
from evreg.contracts.compat import Direction, Finding, Level, Policy, Report


def test_init_writes_a_config_and_a_valid_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--registry", "http://reg:1", "--contracts", "c"]) == 0
    config = tomllib.loads((tmp_path / "evreg.toml").read_text())
    assert config["registry"] == "http://reg:1"
    settings = load_settings(tmp_path, {})
    assert settings.contracts == tmp_path / "c"
    assert (settings.generate.lang, settings.generate.output) == ("python", tmp_path / "generated")
    example = tmp_path / "c" / "order_placed.yaml"
    contract = load_contract(example.read_text(), name=str(example))
    assert contract.is_asyncapi
    assert "wrote" in capsys.readouterr().err

    # the registry's local database stays out of git
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == "evreg.db*"

    assert main(["init", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    example.write_text("# mine\n")
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert example.read_text() == "# mine\n"  # an existing contract is never overwritten
    assert (tmp_path / ".gitignore").read_text().count("evreg.db*") == 1  # not twice


def test_init_appends_to_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(".venv/")  # no final newline
    assert main(["init", str(tmp_path), "--no-example"]) == 0
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        ".venv/",
        "# the local registry's database (evreg serve)",
        "evreg.db*",
    ]


def test_summary_table_escapes_cells(tmp_path: Path) -> None:
    source = tmp_path / "c.yaml"
    source.write_text("type: object\nproperties:\n  a|b:\n    type: string\n")
    report = Report(
        Level.BACKWARD,
        Policy.STRICT,
        (
            Finding(
                "R",
                "#/properties/a|b",
                "pipe | and\nnewline",
                True,
                witness={"a|b": "`x`"},
                has_witness=True,
            ),
            Finding("OK_RULE", "#/properties", "fine", False),
        ),
    )
    results = [
        FileResult(
            ContractFile(source, Path("c.yaml")),
            Status.incompatible,
            "git:HEAD",
            "c",
            report,
            source.read_text(),
        ),
        FileResult(
            ContractFile(tmp_path / "bad.yaml", Path("bad.yaml")),
            Status.error,
            "git:HEAD",
            error="bad.yaml:3: invalid YAML",
            error_line=3,
        ),
    ]
    text = summary_markdown(results, "git:HEAD")
    assert text.startswith("### evreg check: ❌ INCOMPATIBLE (against git:HEAD)\n")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| | file | rule | path | message | witness |"
    breaking = next(r for r in rows if "❌ breaking" in r)
    assert "pipe \\| and newline" in breaking
    assert ":3`" in breaking  # the line of the property
    assert "'x'" in breaking  # backticks inside a code cell would end it
    assert any("❌ invalid" in r and "bad.yaml:3" in r for r in rows)
    assert any(r.startswith("| ok |") for r in rows)


def test_summary_lists_what_only_a_payload_subject_refuses(tmp_path: Path) -> None:
    source = tmp_path / "orders.yaml"
    source.write_text("a: 1\ncomponents:\n  x:\n    enum: [a, b]\n")
    accepted = Finding("ENUM_ARRAY_EXTENDED", "#/components/x/enum", "more values", False)
    refused = Finding(
        "ENUM_ARRAY_NARROWED",
        "#/components/x/enum",
        "fewer values",
        True,
        direction=Direction.FORWARD,
        witness="b",
        has_witness=True,
    )
    both = Finding("TYPE_CHANGED", "#/components/x", "type", True, witness_note="n")
    contract = Report(Level.BACKWARD, Policy.STRICT, (accepted, both))
    payload = PayloadReport(
        "orders.placed-value",
        "orderPlaced",
        registered=True,
        unchanged=False,
        report=Report(Level.FULL, Policy.STRICT, (accepted, refused, both)),
    )
    result = FileResult(
        ContractFile(source, Path("orders.yaml")),
        Status.incompatible,
        "registry",
        "orders",
        contract,
        source.read_text(),
        payloads=(payload,),
    )
    rows = [r for r in summary_markdown([result], "registry").splitlines() if "❌ breaking" in r]
    # the payload subject's own finding is listed, once, with its line and witness; the one the
    # contract's subject reports already is not repeated
    assert len(rows) == 2
    (narrowed,) = [r for r in rows if "ENUM_ARRAY_NARROWED" in r]
    assert "payload subject orders.placed-value: fewer values" in narrowed
    assert "orders.yaml:4`" in narrowed
    assert '`"b"`' in narrowed
