"""A schema compared with a copy of itself has no finding, whatever it says.

Over every schema of the golden rule cases, the Confluent cases and the example contracts: an
unchanged schema must report nothing (before, a `oneOf` of two alternatives that each read the
other paired them crosswise and reported four accepted changes; found by the AsyncAPI corpus).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from evreg import check_compatibility
from golden_cases import read_case

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "rules"
SHARED = ROOT.parent / "shared" / "compat-cases" / "confluent"


def _schemas() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for path in sorted(GOLDEN.glob("*/case.yaml")):
        case = read_case(path)
        olds = case["old"] if isinstance(case["old"], list) else [case["old"]]
        for k, schema in enumerate([*olds, case["new"]]):
            out.append((f"{path.parent.name}-{k}", schema))
    for name in ("diff-schema-examples.json", "diff-combined-schema-examples.json"):
        if (SHARED / name).is_file():
            for i, case in enumerate(json.loads((SHARED / name).read_text(encoding="utf-8"))):
                out.append((f"{name.split('-')[1]}-{i}-old", case["original_schema"]))
                out.append((f"{name.split('-')[1]}-{i}-new", case["update_schema"]))
    out.append(
        (
            "one-of-of-exclusive-requirements",
            {
                "type": "object",
                "oneOf": [
                    {"required": ["a"], "not": {"required": ["b"]}},
                    {"required": ["b"], "not": {"required": ["a"]}},
                ],
                "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            },
        )
    )
    # found by tests/adversarial/test_fuzz.py: it accepts nothing (every string matches twice)
    out.append(("one-of-written-twice", {"oneOf": [{"type": "string"}, {"type": "string"}]}))
    return out


SCHEMAS = _schemas()


@pytest.mark.parametrize(("name", "schema"), SCHEMAS, ids=[n for n, _ in SCHEMAS])
def test_a_schema_compared_with_itself_has_no_finding(name: str, schema: Any) -> None:
    report = check_compatibility(schema, copy.deepcopy(schema), "FULL", default_dialect="draft-07")
    assert report.findings == (), report.to_dict()
