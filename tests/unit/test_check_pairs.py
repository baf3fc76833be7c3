"""check_pairs: one report per earlier version, each exactly what check_compatibility gives
for that pair alone, although the pairs share one DiffCache (the registry caches each pair's
report by the two fingerprints, so a shared run must not leak anything from one pair into the
next)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts import Contract, ContractError, Level, Policy, check_compatibility
from evreg.contracts import load_contract as load
from evreg.contracts.compat.check import check_pairs
from golden_cases import read_case

RULES_DIR = Path(__file__).resolve().parents[1] / "golden" / "rules"
ASYNCAPI_DIR = RULES_DIR / "asyncapi"
CASES = sorted(p.parent for p in RULES_DIR.rglob("case.yaml"))


def _case(folder: Path) -> tuple[list[Contract], Contract, Policy]:
    case = read_case(folder / "case.yaml")
    olds = case["old"] if isinstance(case["old"], list) else [case["old"]]
    return [load(o) for o in olds], load(case["new"]), Policy(case.get("policy", "STRICT"))


def _histories() -> list[tuple[str, list[Contract], Contract, Policy]]:
    """Per golden case: its earlier versions, its new one itself, and the earlier versions of
    the next two cases of the same kind (an unrelated schema is a pair like any other)."""
    out = []
    for group in (
        [c for c in CASES if c.parent != ASYNCAPI_DIR],
        [c for c in CASES if c.parent == ASYNCAPI_DIR],
    ):
        loaded = [_case(c) for c in group]
        for i, (olds, new, policy) in enumerate(loaded):
            others = [o for k in (1, 2) for o in loaded[(i + k) % len(loaded)][0]]
            out.append(
                (group[i].relative_to(RULES_DIR).as_posix(), [*olds, new, *others], new, policy)
            )
    return out


HISTORIES = _histories()


def _evolution() -> tuple[list[Contract], Contract]:
    """Twelve versions that share most sub-schemas (a `$ref`'d address, repeated fields), one
    of them breaking: what a registry subject with a long history looks like."""

    def version(n: int, *, breaking: bool = False) -> dict[str, Any]:
        props: dict[str, Any] = {
            "id": {"type": "string", "format": "uuid"},
            "home": {"$ref": "#/$defs/address"},
            "work": {"$ref": "#/$defs/address"},
            "amount": {"type": "number", "minimum": 0},
        }
        for k in range(n):
            props[f"f{k}"] = {"type": "string", "maxLength": 8 if breaking and k == 0 else 64}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": props,
            "$defs": {
                "address": {
                    "type": "object",
                    "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
                }
            },
        }

    history = [load(version(n)) for n in range(11)] + [load(version(11, breaking=True))]
    return history, load(version(12))


@pytest.mark.parametrize("level", [Level.BACKWARD, Level.FORWARD, Level.FULL])
@pytest.mark.parametrize(
    ("name", "history", "new", "policy"), HISTORIES, ids=[h[0] for h in HISTORIES]
)
def test_each_report_is_the_check_of_that_pair_alone(
    name: str, history: list[Contract], new: Contract, policy: Policy, level: Level
) -> None:
    alone = [check_compatibility(old, new, level=level, policy=policy) for old in history]
    assert check_pairs(history, new, level=level, policy=policy) == alone


@pytest.mark.parametrize("level", [Level.BACKWARD, Level.FORWARD, Level.FULL_TRANSITIVE])
@pytest.mark.parametrize("policy", [Policy.STRICT, Policy.LENIENT])
def test_a_long_history_sharing_sub_schemas(level: Level, policy: Policy) -> None:
    history, new = _evolution()
    reports = check_pairs(history, new, level=level, policy=policy)
    assert reports == [check_compatibility(old, new, level=level, policy=policy) for old in history]
    # not vacuous: the pairs differ, and the breaking version (maxLength 8 -> 64) is found
    assert all(a.findings != b.findings for a, b in itertools.pairwise(reports))
    if level.checks_forward:
        assert not reports[-1].is_compatible


def test_versions_number_the_findings() -> None:
    history, new = _evolution()
    numbers = [10 + k for k in range(len(history))]
    reports = check_pairs(history, new, level=Level.FULL, versions=numbers)
    alone = check_pairs(history, new, level=Level.FULL)
    assert [r.findings for r in reports] == [
        tuple(dataclasses.replace(f, version=n) for f in r.findings)
        for r, n in zip(alone, numbers, strict=True)
    ]
    assert {f.version for r in reports for f in r.findings} == set(numbers)
    with pytest.raises(ValueError, match="version numbers"):
        check_pairs(history, new, versions=numbers[1:])


def test_kinds_must_match_and_none_checks_nothing() -> None:
    history, new = _evolution()
    asyncapi = load((RULES_DIR.parents[2] / "contracts" / "order_placed.yaml").read_text())
    with pytest.raises(ContractError, match="cannot compare"):
        check_pairs([*history, asyncapi], new)
    assert [r.findings for r in check_pairs(history, new, level=Level.NONE)] == [()] * len(history)
    assert check_pairs([], new) == []


def _referencing(n: int) -> dict[str, Any]:
    """Version ``n`` of a closed object whose properties hold local `$ref`s (directly, as array
    items, in an anyOf, to a definition that refers on): its definitions change at versions 3
    (a bound), 5 (an enum value) and 7 (an integer const becomes true, which Python's 1 == True
    would hide), and version 9 adds a property that refers to them too."""
    money: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "amount": {"type": "string", "maxLength": 12 if n < 3 else 16},
            "currency": {"$ref": "#/$defs/currency"},
        },
    }
    currency = {"enum": ["EUR", "USD"] if n < 5 else ["EUR", "USD", "GBP"]}
    flag = {"const": 1} if n < 7 else {"const": True}
    props: dict[str, Any] = {
        "price": {"$ref": "#/$defs/money"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/money"}, "maxItems": 9},
        "either": {"anyOf": [{"$ref": "#/$defs/money"}, {"type": "null"}]},
        "flag": {"$ref": "#/$defs/flag"},
        "flags": {"type": "array", "items": {"$ref": "#/$defs/flag"}},
        "note": {"type": "string"},
    }
    if n >= 9:
        props["later"] = {"type": "array", "items": {"$ref": "#/$defs/flag"}, "maxItems": 2}
    for k in range(n):
        props[f"f{k}"] = {"type": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
        "$defs": {"money": money, "currency": currency, "flag": flag},
    }


@pytest.mark.parametrize("level", [Level.BACKWARD, Level.FORWARD, Level.FULL])
@pytest.mark.parametrize("breaking_only", [False, True])
def test_properties_with_refs_are_compared_where_their_definitions_changed(
    level: Level, breaking_only: bool
) -> None:
    """The pairs of a check share what they found alike (properties written the same whose
    `$ref`s reach definitions written the same): each report is still that pair's own, with
    every property whose definition changed reported in every pair where it did."""
    versions = [load(_referencing(n)) for n in range(1, 11)]
    for new in (versions[-1], versions[5], versions[0]):
        for policy in (Policy.STRICT, Policy.LENIENT):
            reports = check_pairs(
                versions, new, level=level, policy=policy, breaking_only=breaking_only
            )
            alone = [check_compatibility(old, new, level=level, policy=policy) for old in versions]
            if breaking_only:
                alone = [
                    dataclasses.replace(r, findings=tuple(f for f in r.findings if f.breaking))
                    for r in alone
                ]
            assert reports == alone
    # not vacuous: a changed definition is reported through each property that uses it
    paths = {f.path for f in check_pairs(versions[:1], versions[-1], level=Level.FULL)[0].findings}
    for prop in ("price", "lines", "either", "flag", "flags"):
        assert any(p.startswith(f"#/properties/{prop}/") for p in paths), prop
