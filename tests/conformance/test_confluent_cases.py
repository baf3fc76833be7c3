"""Conformance with the Confluent registry's JSON Schema compatibility cases (../shared).

Every case's verdict (STRICT, and LENIENT where the case gives one) must agree, except the
cases listed in ``DIFFERENCES``: there Confluent calls a change compatible although an event
valid under the old schema is rejected by the new one, and evreg reports it. Each difference is
proven here: evreg's breaking finding carries a witness that ``jsonschema`` (draft-07,
independently of the engine) accepts under the original schema and rejects under the update.
docs/compatibility.md lists the same cases ("Where evreg differs from Confluent"). The change
types should agree too, and the summary prints both rates.

The Confluent registry reads a schema without `$schema` as draft-07 (evreg's default is
2020-12), and the cases rely on it (`items` arrays are tuples): the checks pass
``default_dialect="draft-07"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from jsonschema.validators import validator_for

from confluent_cases import DIFFERENCES, expected
from evreg import check_compatibility

CASES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "compat-cases" / "confluent"
FILES = ("diff-schema-examples.json", "diff-combined-schema-examples.json")


def _cases() -> list[tuple[str, dict[str, Any]]]:
    if not CASES_DIR.is_dir():
        return []
    out = []
    for name in FILES:
        for i, case in enumerate(json.loads((CASES_DIR / name).read_text())):
            out.append((f"{name.split('-')[1]}-{i}", case))
    return out


def _check(case: dict[str, Any], policy: str) -> Any:
    return check_compatibility(
        case["original_schema"],
        case["update_schema"],
        "BACKWARD",
        policy,
        default_dialect="draft-07",
    )


CASES = _cases()
needs_cases = pytest.mark.skipif(
    not CASES,
    reason=f"{CASES_DIR} is absent: the conformance cases live in ../shared beside the clone",
)


def _valid(schema: Any, instance: Any) -> bool:
    """Valid by jsonschema, a schema without `$schema` read as draft-07 (as Confluent does)."""
    return bool(validator_for(schema, default=Draft7Validator)(schema).is_valid(instance))


def _verdicts(case: dict[str, Any]) -> tuple[bool, set[str], bool | None]:
    report = _check(case, "STRICT")
    lenient = _check(case, "LENIENT").is_compatible if "compatible_lenient" in case else None
    return report.is_compatible, {f"{f.rule} {f.path}" for f in report.findings}, lenient


@needs_cases
@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[c[0] for c in CASES])
def test_case_verdict_and_witnesses(case_id: str, case: dict[str, Any]) -> None:
    report = _check(case, "STRICT")
    assert report.is_compatible == expected(case, "compatible"), case["description"]
    if "compatible_lenient" in case:
        lenient = _check(case, "LENIENT")
        assert lenient.is_compatible == expected(case, "compatible_lenient"), case["description"]
    for finding in report.breaking:
        if finding.has_witness:
            assert _valid(case["original_schema"], finding.witness), finding
            assert not _valid(case["update_schema"], finding.witness), finding
        else:
            assert finding.witness_note, finding


@needs_cases
def test_each_difference_from_confluent_is_proven_by_an_event() -> None:
    described = {case["description"]: case for _, case in CASES}
    assert set(DIFFERENCES) <= set(described)
    for description, rule in DIFFERENCES.items():
        case = described[description]
        assert case["compatible"], description  # evreg differs only where Confluent says yes
        [finding] = [f for f in _check(case, "STRICT").breaking if f.rule == rule]
        assert finding.has_witness, description
        assert _valid(case["original_schema"], finding.witness), description
        assert not _valid(case["update_schema"], finding.witness), description


@needs_cases
def test_agreement_summary(capsys: pytest.CaptureFixture[str]) -> None:
    verdicts = changes = 0
    for _, case in CASES:
        strict, found, lenient = _verdicts(case)
        verdict_ok = strict == expected(case, "compatible") and (
            lenient is None or lenient == expected(case, "compatible_lenient")
        )
        verdicts += verdict_ok
        changes += found == set(case["changes"])
    total = len(CASES)
    with capsys.disabled():
        print(
            f"\nconformance: verdicts {verdicts}/{total} ({100 * verdicts / total:.1f}%; "
            f"{total - len(DIFFERENCES)} as Confluent's, {len(DIFFERENCES)} proven different), "
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
