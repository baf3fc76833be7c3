"""Conformance with the Confluent registry's JSON Schema compatibility cases (../shared).

Every case's verdict (STRICT, and LENIENT where the case gives one) must agree; the change types
should agree too, and the summary prints both rates. Every witness is re-validated here with
`jsonschema`, independently of the engine.

The Confluent registry reads a schema without `$schema` as draft-07 (evreg's default is
2020-12), and the cases rely on it (`items` arrays are tuples), so schemas without `$schema`
are given the draft-07 one here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from evreg import check_compatibility

CASES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "compat-cases" / "confluent"
FILES = ("diff-schema-examples.json", "diff-combined-schema-examples.json")


DRAFT7 = "http://json-schema.org/draft-07/schema#"


def _draft7(schema: Any) -> Any:
    if isinstance(schema, dict) and "$schema" not in schema:
        return {"$schema": DRAFT7, **schema}
    return schema


def _cases() -> list[tuple[str, dict[str, Any]]]:
    if not CASES_DIR.is_dir():
        return []
    out = []
    for name in FILES:
        for i, case in enumerate(json.loads((CASES_DIR / name).read_text())):
            case["original_schema"] = _draft7(case["original_schema"])
            case["update_schema"] = _draft7(case["update_schema"])
            out.append((f"{name.split('-')[1]}-{i}", case))
    return out


CASES = _cases()
needs_cases = pytest.mark.skipif(
    not CASES,
    reason=f"{CASES_DIR} is absent: the conformance cases live in ../shared beside the clone",
)


def _valid(schema: Any, instance: Any) -> bool:
    return bool(validator_for(schema, default=validator_for({}))(schema).is_valid(instance))


def _verdicts(case: dict[str, Any]) -> tuple[bool, set[str], bool | None]:
    report = check_compatibility(
        case["original_schema"], case["update_schema"], "BACKWARD", "STRICT"
    )
    lenient = None
    if "compatible_lenient" in case:
        lenient = check_compatibility(
            case["original_schema"], case["update_schema"], "BACKWARD", "LENIENT"
        ).is_compatible
    return report.is_compatible, {f"{f.rule} {f.path}" for f in report.findings}, lenient


@needs_cases
@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[c[0] for c in CASES])
def test_case_verdict_and_witnesses(case_id: str, case: dict[str, Any]) -> None:
    report = check_compatibility(
        case["original_schema"], case["update_schema"], "BACKWARD", "STRICT"
    )
    assert report.is_compatible == case["compatible"], case["description"]
    if "compatible_lenient" in case:
        lenient = check_compatibility(
            case["original_schema"], case["update_schema"], "BACKWARD", "LENIENT"
        )
        assert lenient.is_compatible == case["compatible_lenient"], case["description"]
    for finding in report.breaking:
        if finding.has_witness:
            assert _valid(case["original_schema"], finding.witness), finding
            assert not _valid(case["update_schema"], finding.witness), finding
        else:
            assert finding.witness_note, finding


@needs_cases
def test_agreement_summary(capsys: pytest.CaptureFixture[str]) -> None:
    verdicts = changes = 0
    for _, case in CASES:
        strict, found, lenient = _verdicts(case)
        verdict_ok = strict == case["compatible"] and (
            lenient is None or lenient == case["compatible_lenient"]
        )
        verdicts += verdict_ok
        changes += found == set(case["changes"])
    total = len(CASES)
    with capsys.disabled():
        print(
            f"\nconformance: verdicts {verdicts}/{total} ({100 * verdicts / total:.1f}%), "
            f"change types {changes}/{total} ({100 * changes / total:.1f}%)"
        )
    assert verdicts == total
    assert total == 132


@needs_cases
def test_recursive_schema_terminates() -> None:
    schema = json.loads((CASES_DIR / "recursive-schema.json").read_text())
    changed = json.loads(json.dumps(schema))
    category = changed["definitions"]["Category"]
    category["properties"]["category_id"]["type"] = "string"
    assert check_compatibility(schema, schema).is_compatible
    report = check_compatibility(schema, changed)
    assert not report.is_compatible
    [finding] = report.breaking
    assert finding.rule == "TYPE_CHANGED"
    assert finding.path == "#/properties/categories/items/properties/category_id"
    assert finding.has_witness
    assert _valid(schema, finding.witness) and not _valid(changed, finding.witness)
