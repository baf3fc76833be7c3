"""``evreg compat`` end to end: the CLI in a process of its own (forked from the worker's fork
server: ``servers.run_evreg``), on real files."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from servers import run_evreg

WITNESS_BACKWARD = (
    "witness: this event is valid under the old contract and rejected by the new one: "
)
WITNESS_FORWARD = (
    "witness: this event is valid under the new contract and rejected by the old one: "
)

CUSTOMER_V1: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CustomerRegistered",
    "type": "object",
    "additionalProperties": False,
    "required": ["customerId", "email"],
    "properties": {
        "customerId": {"type": "string", "format": "uuid"},
        "email": {"type": "string", "format": "email"},
    },
}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["NO_COLOR"] = "1"
    return run_evreg(*args, cwd=cwd, env=env, timeout=120)


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def with_changes(document: dict[str, Any], **properties: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(document))
    changed["properties"].update(properties)
    return changed


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    return write(tmp_path / "customer.v1.json", CUSTOMER_V1)


@pytest.fixture
def adds_required(tmp_path: Path) -> Path:
    doc = with_changes(CUSTOMER_V1, phone={"type": "string"})
    doc["required"] = [*doc["required"], "phone"]
    return write(tmp_path / "customer.v2.json", doc)


def test_compatible_change_exits_0(v1: Path, tmp_path: Path) -> None:
    # An optional property added to a closed model: old events never carry it.
    v2 = write(tmp_path / "v2.json", with_changes(CUSTOMER_V1, nickname={"type": "string"}))
    result = run("compat", v1, v2)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"COMPATIBLE  {v1} -> {v2}  (BACKWARD, policy STRICT)")
    assert result.stderr == ""


def test_identical_files_have_no_findings(repo_root: Path) -> None:
    result = run(
        "compat", "contracts/order_placed.yaml", "contracts/order_placed.yaml", cwd=repo_root
    )
    assert result.returncode == 0, result.stderr
    assert "no changes found" in result.stdout


def test_breaking_change_exits_1_with_a_witness(v1: Path, adds_required: Path) -> None:
    result = run("compat", v1, adds_required)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("INCOMPATIBLE")
    assert "BREAKING" in result.stdout
    [witness_line] = [ln for ln in result.stdout.splitlines() if WITNESS_BACKWARD in ln]
    witness = json.loads(witness_line.split(WITNESS_BACKWARD, 1)[1])
    assert Draft202012Validator(CUSTOMER_V1).is_valid(witness)
    assert "phone" not in witness


def test_forward_wording(v1: Path, tmp_path: Path) -> None:
    v2 = write(tmp_path / "v2.json", with_changes(CUSTOMER_V1, nickname={"type": "string"}))
    result = run("compat", v1, v2, "--level", "forward")
    assert result.returncode == 1, result.stdout
    assert WITNESS_FORWARD in result.stdout


def test_no_witness(v1: Path, adds_required: Path) -> None:
    result = run("compat", v1, adds_required, "--no-witness")
    assert result.returncode == 1
    assert "BREAKING" in result.stdout
    assert not [ln for ln in result.stdout.splitlines() if ln.lstrip().startswith("witness")]


def test_json_format(v1: Path, adds_required: Path) -> None:
    result = run("compat", v1, adds_required, "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["old"] == str(v1)
    assert data["new"] == str(adds_required)
    assert data["is_compatible"] is False
    assert (data["level"], data["policy"]) == ("BACKWARD", "STRICT")
    breaking = [f for f in data["findings"] if f["breaking"]]
    assert breaking
    new_validator = Draft202012Validator(json.loads(adds_required.read_text()))
    for finding in breaking:
        assert finding["path"].startswith("#")
        assert Draft202012Validator(CUSTOMER_V1).is_valid(finding["witness"])
        assert not new_validator.is_valid(finding["witness"])


def test_github_format(v1: Path, adds_required: Path) -> None:
    result = run("compat", v1, adds_required, "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert errors
    source = adds_required.read_text().splitlines()
    for line in errors:
        match = re.match(
            rf"::error file={re.escape(str(adds_required))},line=(\d+),title=([A-Z_]+)::", line
        )
        assert match, line
        assert "phone" in source[int(match.group(1)) - 1], line
        assert "(witness: {" in line
    assert all(ln.startswith(("::error ", "::notice ")) for ln in lines)


def test_asyncapi_breaking_change(repo_root: Path, tmp_path: Path) -> None:
    text = (repo_root / "contracts" / "order_placed.yaml").read_text(encoding="utf-8")
    marker = "      required: [orderId, customerId, placedAt, currency, items, total]\n"
    assert marker in text
    # OrderPlaced gains a required property: events published today lack it.
    new_property = "        channel:\n          type: string\n          enum: [web, app]\n"
    changed = text.replace(marker, marker.replace("total]", "total, channel]")).replace(
        "        couponCode:\n", new_property + "        couponCode:\n"
    )
    new = tmp_path / "order_placed.yaml"
    new.write_text(changed, encoding="utf-8")
    result = run("compat", repo_root / "contracts" / "order_placed.yaml", new)
    assert result.returncode == 1, result.stdout + result.stderr
    assert WITNESS_BACKWARD in result.stdout

    result = run("compat", repo_root / "contracts" / "order_placed.yaml", new, "--format", "github")
    assert result.returncode == 1
    n_lines = len(changed.splitlines())
    for line in result.stdout.splitlines():
        match = re.match(r"::(error|notice) file=[^,]+,line=(\d+),title=[A-Z_]+::", line)
        assert match, line
        assert 1 <= int(match.group(2)) <= n_lines


def test_malformed_yaml_exits_2_with_file_and_line(v1: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: object\nproperties:\n  a: {type: string\n  b: [1, 2\n", encoding="utf-8")
    result = run("compat", v1, bad)
    assert result.returncode == 2
    assert result.stdout == ""
    assert re.match(rf"error: {re.escape(str(bad))}:\d+", result.stderr), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(v1: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    result = run("compat", v1, missing)
    assert result.returncode == 2
    assert result.stderr == f"error: {missing}: no such file\n"


def test_bad_level_exits_2(v1: Path) -> None:
    result = run("compat", v1, v1, "--level", "SIDEWAYS")
    assert result.returncode == 2
    assert "SIDEWAYS" in result.stderr


def test_shared_evolution_example(shared_dir: Path) -> None:
    evolution = shared_dir / "contracts" / "evolution"
    ok = run(
        "compat",
        evolution / "customer_registered.v1.json",
        evolution / "customer_registered.v2.json",
        "--level",
        "BACKWARD",
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = run(
        "compat",
        evolution / "customer_registered.v3.json",
        evolution / "customer_registered.v4-adds-required-field.json",
        "--level",
        "BACKWARD",
    )
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert WITNESS_BACKWARD in broken.stdout
