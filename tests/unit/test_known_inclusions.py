"""Inclusions proven once and reused (``compat/guard/known.py``): a transitive check proves the
new version's inclusion against the newest earlier one and chains the rest, and its reports are
exactly those of the check without any known inclusion (issue 21: the guard's cost on a long
history, without changing a finding)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_check_pairs import HISTORIES  # the golden cases' histories (tests/unit)

from evreg.contracts import Contract, Level, Policy, Report, load_contract
from evreg.contracts.compat import check
from evreg.contracts.compat.check import check_pairs
from evreg.contracts.compat.guard import KnownInclusions

DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


def _evolution(count: int) -> list[Contract]:
    """``count`` versions of a closed object with nested objects and a shared `$ref`, each a
    compatible change of the one before (a property added, a bound or an enum widened)."""
    doc: dict[str, Any] = {
        "$schema": DRAFT2020,
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "maxLength": 10},
            "kind": {"enum": ["a", "b"]},
            "home": {"$ref": "#/$defs/address"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "$defs": {
            "address": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"zip": {"type": "string", "maxLength": 5}},
            }
        },
    }
    out = [load_contract(copy.deepcopy(doc))]
    for step in range(1, count):
        props = doc["properties"]
        match step % 4:
            case 0:
                props[f"x{step}"] = {"type": "integer"}
            case 1:
                props["id"]["maxLength"] += 1
            case 2:
                props["kind"]["enum"].append(f"k{step}")
            case _:
                doc["$defs"]["address"]["properties"]["zip"]["maxLength"] += 1
        out.append(load_contract(copy.deepcopy(doc)))
    return out


def _register_all(
    versions: list[Contract],
    level: Level,
    policy: Policy,
    known: KnownInclusions | None,
    breaking_only: bool = True,
) -> list[list[Report]]:
    """What a registry does: each version checked against all the ones before it, newest
    first; the reports of each check."""
    out = []
    for i in range(1, len(versions)):
        earlier = versions[:i][::-1]
        out.append(
            check_pairs(
                earlier,
                versions[i],
                level=level,
                policy=policy,
                breaking_only=breaking_only,
                known=known,
                keys=None if known is None else [c.fingerprint for c in earlier],
                key=None if known is None else versions[i].fingerprint,
            )
        )
    return out


@pytest.fixture
def proofs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the guard's whole-schema inclusion proofs (the real ones, counted)."""
    count = [0]
    real: Callable[..., bool] = check.included

    def counted(*args: Any) -> bool:
        count[0] += 1
        return real(*args)

    monkeypatch.setattr(check, "included", counted)
    return count


@pytest.mark.parametrize("level", [Level.BACKWARD, Level.FORWARD, Level.FULL])
@pytest.mark.parametrize("breaking_only", [True, False])
def test_reports_are_the_same_with_known_inclusions(level: Level, breaking_only: bool) -> None:
    widening = _evolution(14)
    for versions, fits in ((widening, Level.BACKWARD), (widening[::-1], Level.FORWARD)):
        for policy in (Policy.STRICT, Policy.LENIENT):
            known = KnownInclusions()
            got = _register_all(versions, level, policy, known, breaking_only)
            assert got == _register_all(versions, level, policy, None, breaking_only)
            compatible = all(r.is_compatible for reports in got for r in reports)
            assert compatible is (level is fits)
            # not vacuous: inclusions were proven and chained
            assert len(known) >= (len(versions) - 1 if compatible else 0)


@pytest.mark.parametrize(
    ("name", "history", "new", "policy"),
    [h for h in HISTORIES if h[2].kind.value == "JSON"],
    ids=[h[0] for h in HISTORIES if h[2].kind.value == "JSON"],
)
def test_golden_histories_registered_in_turn(
    name: str, history: list[Contract], new: Contract, policy: Policy
) -> None:
    """Each golden case's schemas (and two unrelated cases' earlier ones) registered one after
    the other with known inclusions, then checked again: exactly the reports without them
    (the breaking pairs, the guard's counterexamples, unrelated schemas included)."""
    versions = [*history, new]
    for level in (Level.BACKWARD, Level.FULL):
        known = KnownInclusions()
        first = _register_all(versions, level, policy, known)
        assert first == _register_all(versions, level, policy, None)
        assert _register_all(versions, level, policy, known) == first  # all facts known now


def test_a_transitive_check_proves_one_inclusion(proofs: list[int]) -> None:
    versions = _evolution(30)
    known = KnownInclusions()
    _register_all(versions[:-1], Level.BACKWARD, Policy.STRICT, known)
    assert proofs[0] == 28  # one per registration: the newest earlier version against it
    earlier = versions[:-1][::-1]
    proofs[0] = 0
    keys = [c.fingerprint for c in earlier]
    got = check_pairs(
        earlier,
        versions[-1],
        breaking_only=True,
        known=known,
        keys=keys,
        key=versions[-1].fingerprint,
    )
    assert proofs[0] == 1
    proofs[0] = 0
    assert got == check_pairs(earlier, versions[-1], breaking_only=True)
    assert proofs[0] == 29  # without them, one proof per earlier version
    # what was proven: one inclusion per registration; what was chained stays in memory only
    assert len(known.take_proven()) == 29
    assert known.take_proven() == []


def test_a_known_inclusion_is_what_skips_the_guard() -> None:
    """The golden COUNTEREXAMPLE_FOUND pair: the rules accept, the guard finds an event with
    "a". Its inclusion is never recorded as proven; a fact claiming it (false: a prover that is
    wrong) would hide the counterexample, which is why only proofs enter the facts."""
    old = load_contract(
        {
            "$schema": DRAFT2020,
            "type": "object",
            "allOf": [{"properties": {"a": {}}}],
            "unevaluatedProperties": False,
        }
    )
    new = load_contract(
        {
            "$schema": DRAFT2020,
            "type": "object",
            "allOf": [{"properties": {"b": {}}}],
            "unevaluatedProperties": False,
        }
    )
    keys, key = ["old"], "new"
    known = KnownInclusions()
    [report] = check_pairs([old], new, breaking_only=True, known=known, keys=keys, key=key)
    assert [f.rule for f in report.findings] == ["COUNTEREXAMPLE_FOUND"]
    assert set(report.findings[0].witness) == {"a"}
    assert len(known) == 0 and known.take_proven() == []
    wrong = KnownInclusions([("old", "new")])
    [hidden] = check_pairs([old], new, breaking_only=True, known=wrong, keys=keys, key=key)
    assert hidden.findings == ()


def test_known_inclusions_chain_and_bound() -> None:
    known = KnownInclusions([("v1", "v2"), ("v2", "v3")])
    assert known.holds("v1", "v3") and known.holds("v1", "v2") and known.holds("v4", "v4")
    assert not known.holds("v3", "v1") and not known.holds("v1", "v4")
    known.add("v3", "v4")
    known.add("v1", "v4", proven=False)
    assert known.take_proven() == [("v3", "v4")]  # derived facts are not for persisting
    # derive: holds, and a chain's fact recorded derived (found directly next time, never for
    # persisting); one not known is not recorded
    chain = KnownInclusions([("a", "b"), ("b", "c"), ("c", "d")])
    assert chain.derive("a", "d") and chain.derive("a", "a") and not chain.derive("d", "a")
    assert len(chain) == 4 and chain.take_proven() == []
    assert "d" in chain._supersets["a"] and "a" in chain._subsets["d"]
    assert "a" not in chain._supersets.get("d", set())
    # a chain longer than a lookup visits is not known (the guard then proves it)
    long = KnownInclusions((f"k{i}", f"k{i + 1}") for i in range(1000))
    assert long.holds("k0", "k100") and not long.holds("k0", "k999")
    # a registry's shape: each version proven in the next, every older one derived in every
    # later one, then the new version proven against the newest: every version is in it
    history = KnownInclusions((f"v{i}", f"v{i + 1}") for i in range(200))
    for i in range(200):
        for j in range(i + 2, 201):
            history.add(f"v{i}", f"v{j}", proven=False)
    history.add("v200", "new")
    assert all(history.holds(f"v{i}", "new") for i in range(201))
    assert not any(history.holds("new", f"v{i}") for i in range(201))
    assert not history.holds("v0", "other") and not history.holds("v5", "v4")
    history.add("other", "v0")  # known below the chain's start: three steps up, then new
    assert history.holds("other", "new") and not history.holds("new", "other")
    # the facts are a bounded cache: reaching the bound drops them all
    small = KnownInclusions(max_facts=3)
    for i in range(3):
        small.add(f"a{i}", f"b{i}")
    assert small.generation == 0 and len(small) == 3
    small.add("a3", "b3")
    assert small.generation == 1 and len(small) == 1 and not small.holds("a0", "b0")
    small.add("b0", "c0")  # (a0 ⊆ b0 was dropped, by reader too)
    assert not small.holds("a0", "c0") and small.holds("b0", "c0")
    with pytest.raises(ValueError, match="a key for each"):
        check_pairs(_evolution(2)[:1], _evolution(2)[1], known=KnownInclusions(), keys=[])
