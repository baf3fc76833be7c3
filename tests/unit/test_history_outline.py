"""diff.history: an earlier version said to give no refused change (``History.unbroken``) is one
the walk finds none in (``diff_schemas(..., breaking_only=True) == []``), for every pair of many
histories, with the verdicts it keeps by content shared across the checks of the process; and
the reports of ``check_pairs(breaking_only=True)``, which uses it, stay each pair's own.

Not vacuous: it must answer for most pairs the walk finds nothing in, and the histories hold
pairs with refused changes of every kind it must leave to the walk (a property narrowed, one
removed from a closed object, a required one added, a definition narrowed, the frame changed).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts import Contract, Level, Policy, check_compatibility
from evreg.contracts import load_contract as load
from evreg.contracts.compat.check import check_pairs
from evreg.contracts.compat.diff import DiffCache, diff_schemas, history
from evreg.contracts.compat.diff.history import History
from golden_cases import read_case

RULES_DIR = Path(__file__).resolve().parents[1] / "golden" / "rules"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _version(n: int) -> dict[str, Any]:
    """Version ``n`` of a subject's history: most steps compatible, some not (narrowed,
    removed, required, definitions and frame changed), `$ref`s to definitions that change,
    one that refers on, a recursive one, and properties that refer to each other."""
    props: dict[str, Any] = {
        "id": {"type": "string", "maxLength": 8 if n in (4, 5) else 36},
        "price": {"$ref": "#/$defs/money"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/money"}, "maxItems": 9},
        "flag": {"const": 1} if n < 7 else {"const": True},
        "note": {"type": "string", "default": n % 2 == 0},
        "copy": {"$ref": "#/properties/note"},
    }
    for k in range(n % 6):
        props[f"f{k}"] = {"type": "string"}
    if n not in (8, 9):
        props["legacy"] = {"type": "integer"}
    if n >= 13:  # (recursive: left to the walk)
        props["tree"] = {"$ref": "#/$defs/node"}
    if n >= 10:
        props["later"] = {"type": "array", "items": {"$ref": "#/$defs/money"}}
    money = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "amount": {"type": "string", "maxLength": 12 if n < 3 else 16},
            "currency": {"$ref": "#/$defs/currency"},
        },
    }
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "type": "object",
        "additionalProperties": n in (12, 13),
        "required": ["id", "f0"] if n in (6, 11) else ["id"],
        "properties": props,
        "$defs": {
            "money": money,
            "currency": {"enum": ["EUR", "USD"] if n != 5 else ["EUR"]},
            "node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}},
        },
    }
    if n in (2, 3):
        schema["description"] = f"version {n}"
    if n == 14:
        schema["patternProperties"] = {"^x-": {"type": "string"}}
    return schema


def _golden() -> list[tuple[list[Contract], Policy]]:
    """Each JSON Schema golden case's versions (old ones and the new one)."""
    out = []
    for path in sorted(RULES_DIR.rglob("case.yaml")):
        if "asyncapi" in path.parts:
            continue
        case = read_case(path)
        olds = case["old"] if isinstance(case["old"], list) else [case["old"]]
        out.append(([load(o) for o in [*olds, case["new"]]], Policy(case.get("policy", "STRICT"))))
    return out


HISTORIES = [
    *(([load(_version(n)) for n in range(1, 16)], policy) for policy in Policy),
    *_golden(),
]


def test_unbroken_only_where_the_walk_finds_nothing() -> None:
    answered = refused = 0
    kinds: set[str] = set()
    for versions, policy in HISTORIES:
        for new, old in itertools.product(versions, versions):
            assert new.schema is not None and old.schema is not None
            history = History(new.schema, policy, DiffCache())
            claimed = history.unbroken(old.schema)
            found = diff_schemas(old.schema, new.schema, policy, breaking_only=True)
            assert not (claimed and found), (old.document, new.document, found)
            answered += claimed
            refused += bool(found)
            kinds.update(c.rule.value for c in found)
    assert answered > 300 and refused > 200
    for rule in ("MAX_LENGTH_DECREASED", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"):
        assert rule in kinds, sorted(kinds)


@pytest.mark.parametrize("policy", list(Policy))
def test_breaking_only_reports_stay_each_pairs_own(policy: Policy) -> None:
    versions = [load(_version(n)) for n in range(1, 16)]
    for new in versions[::3]:
        reports = check_pairs(versions, new, Level.BACKWARD, policy, breaking_only=True)
        alone = [check_compatibility(old, new, "BACKWARD", policy) for old in versions]
        assert reports == [
            dataclasses.replace(r, findings=tuple(f for f in r.findings if f.breaking))
            for r in alone
        ]
        assert any(not r.is_compatible for r in reports)


def test_what_the_process_keeps_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outlines hold their schemas: they are dropped from the oldest past a bound of text
    (and numbers given again past another), and the answers stay the walk's."""
    monkeypatch.setattr(history, "_MAX_BYTES", 8_000)
    versions = [load(_version(n)) for n in range(1, 13)]
    new = versions[-1]
    assert new.schema is not None
    for _ in range(2):
        for old in versions:
            assert old.schema is not None
            claimed = History(new.schema, Policy.STRICT, DiffCache()).unbroken(old.schema)
            found = diff_schemas(old.schema, new.schema, Policy.STRICT, breaking_only=True)
            assert not (claimed and found)
            assert history._held["outlines"] <= 8_000
            # (past the bound, at most one outline's text more before the numbers are dropped)
            assert history._held["numbered"] <= 8_000 + 4_000
        assert 1 < len(history._outlines) < len(versions)
