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
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts import Contract, Level, Policy, check_compatibility
from evreg.contracts import load_contract as load
from evreg.contracts.compat.check import Deferred, check_pairs
from evreg.contracts.compat.diff import DiffCache, diff_schemas, history
from evreg.contracts.compat.diff.history import History, Restorer, Stored
from evreg.contracts.compat.diff.walk import Differ
from evreg.contracts.compat.guard import KnownInclusions
from evreg.contracts.compat.rules import LENIENT_ACCEPTS, STRICT_ACCEPTS, RuleId
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


def _asked_in_turn(versions: list[Contract]) -> list[int]:
    """The earlier versions in the orders a History meets them: newest first (a registry's
    check), oldest first, each twice in a row, and a shuffle with repeats."""
    order = list(range(len(versions)))
    shuffled = [*order, *order[::2]]
    random.Random(21).shuffle(shuffled)
    return [*order[::-1], *order, *(i for i in order for _ in range(2)), *shuffled]


def test_each_version_answers_as_alone_whatever_was_asked_before() -> None:
    """A History works out an earlier version's uncovered properties from those of the version
    asked before it (``_uncovered``, through ``added_since``) and its frame and names once
    per distinct pair (``tails``): each answer is the one a History asked that version alone
    gives, and never one where the walk finds a refused change."""
    compared = shortcuts = 0
    for versions, policy in HISTORIES:
        for new in versions:
            assert new.schema is not None
            alone = {
                i: History(new.schema, policy, DiffCache()).unbroken(old.schema)  # type: ignore[arg-type]
                for i, old in enumerate(versions)
            }
            by_content = History(new.schema, policy, DiffCache())
            for i in _asked_in_turn(versions):
                old = versions[i]
                assert old.schema is not None
                last = by_content.last
                claimed = by_content.unbroken(old.schema)
                assert claimed == alone[i], (old.document, new.document)
                if claimed:
                    found = diff_schemas(old.schema, new.schema, policy, breaking_only=True)
                    assert not found, (old.document, new.document, found)
                compared += 1
                theirs = history.outline(old.schema, by_content.cache)
                if last is not None and theirs is not None and by_content.last is not None:
                    shortcuts += history.added_since(last[0], theirs) is not None
    assert compared > 2000 and shortcuts > 1000, (compared, shortcuts)


def test_added_since_is_kept_for_the_last_version_asked() -> None:
    first, second, third = (load({**_version(4), "properties": p}) for p in _three_properties())
    cache = DiffCache()
    a, b, c = (history.outline(v.schema, cache) for v in (first, second, third))  # type: ignore[arg-type]
    assert a is not None and b is not None and c is not None
    added = history.added_since(a, b)
    assert added == b.entries - a.entries and len(added) == 1
    assert history.added_since(a, b) is added  # (kept)
    assert history.added_since(b, a) == frozenset()
    # most of c's entries are not a's: not worth going through a
    assert history.added_since(a, c) is None
    assert history.added_since(b, c) is None


def _three_properties() -> list[dict[str, Any]]:
    """Property sets: eight, the same and one more, four of them new."""
    eight = {f"f{k}": {"type": "string"} for k in range(8)}
    more = {**eight, "g": {"type": "integer"}}
    four = {**{f"f{k}": {"type": "string"} for k in range(4)}}
    return [eight, more, {**four, **{f"h{k}": {"type": "integer"} for k in range(5)}}]


def test_a_frame_differs_by_what_its_verdicts_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame's key leaves out the title, the description and the definitions (read only
    through `$ref`s, whose targets the keys hold): versions that differ there share one frame
    and one verdict; ``required`` or ``additionalProperties`` make another frame."""
    assert {RuleId.TITLE_CHANGED, RuleId.DESCRIPTION_CHANGED} <= STRICT_ACCEPTS & LENIENT_ACCEPTS
    base = _version(1)
    alike = [
        base,
        {**base, "title": "T", "description": "changed"},
        {**base, "$defs": {**base["$defs"], "unused": {"type": "string"}}},
        {**base, "$defs": {**base["$defs"], "currency": {"enum": ["EUR"]}}},
    ]
    other = [{**base, "required": ["id", "note"]}, {**base, "additionalProperties": True}]
    cache = DiffCache()
    frames = [history.outline(load(v).schema, cache) for v in [*alike, *other]]  # type: ignore[arg-type]
    assert len({f.frame for f in frames[: len(alike)]}) == 1  # type: ignore[union-attr]
    assert len({f.frame for f in frames}) == 1 + len(other)  # type: ignore[union-attr]
    walks = []
    object_frame = Differ.object_frame

    def counted(self: Differ, *args: Any) -> None:
        walks.append(args)
        object_frame(self, *args)

    monkeypatch.setattr(Differ, "object_frame", counted)
    versions = [load(v) for v in alike]
    new = load({**base, "description": "the new one"})
    assert new.schema is not None
    by_content = History(new.schema, Policy.STRICT, DiffCache())
    answers = [by_content.unbroken(v.schema) for v in versions]  # type: ignore[arg-type]
    assert answers == [True] * len(versions)
    assert len(walks) == 1


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


# ------------------------------------------------------------ after a restart (issue 21)

_MODULE_STATE = (
    *("_outlines", "_refused", "_numbers", "_frames", "_names", "_keys", "_by_key"),
    *("_verdicts", "_found", "_skips"),
)


def _restart() -> None:
    """What a new process starts with: nothing of history's module state."""
    for name in _MODULE_STATE:
        getattr(history, name).clear()
    for part in history._held:
        history._held[part] = 0


class _Store:
    """A registry's rows, as plain values: outlines by key (entries by an id per content key),
    verdicts by identity, proven inclusions."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[int, tuple[str, str]] = {}
        self.outlines: dict[str, tuple[str, str, tuple[str, ...], list[int]]] = {}
        self.verdicts: dict[str, int] = {}
        self.inclusions: list[tuple[str, str]] = []
        self.reads = 0

    def stored(self, missing: set[str]) -> Stored:
        def read(identities: Sequence[str]) -> dict[str, int]:
            self.reads += 1
            return {i: self.verdicts[i] for i in identities if i in self.verdicts}

        return Stored(read=read, missing=missing)

    def write(self, stored: Stored, known: KnownInclusions) -> None:
        self.verdicts.update(stored.verdicts)
        for key, (draft, frame, required, entries) in stored.outlines.items():
            ids = []
            for content, name in entries.items():
                ident = self.ids.setdefault(content, len(self.ids) + 1)
                self.names[ident] = (name, content)
                ids.append(ident)
            self.outlines.setdefault(key, (draft, frame, required, ids))
        self.inclusions.extend(known.take_proven())

    def restored(self) -> dict[str, history.Outline]:
        restorer = Restorer(self.names)
        out = {}
        for key, (draft, frame, required, ids) in self.outlines.items():
            made = restorer.outline(draft, frame, required, ids)
            assert made is not None
            out[key] = made
        return out


def _registered(versions: list[Contract], policy: Policy) -> _Store:
    """Each version registered after the ones before it (BACKWARD_TRANSITIVE, breaking-only,
    the inclusions known), what a registry stores kept; from a fresh process (what the
    process knew before it was not stored)."""
    _restart()
    store = _Store()
    known = KnownInclusions()
    keys = [str(i) for i in range(len(versions))]
    for i, new in enumerate(versions):
        stored = store.stored(set(keys) - set(store.outlines))
        check_pairs(
            versions[:i], new, Level.BACKWARD, policy, breaking_only=True,
            known=known, keys=keys[:i], key=keys[i], stored=stored,
        )  # fmt: skip
        store.write(stored, known)
    return store


def _restarted(
    versions: list[Contract], policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int, int]:
    """Register ``versions`` in turn, restart, and check each version again against those
    before it from the stored rows: ``unbroken_outline`` answers exactly the pairs ``unbroken``
    answered before the restart, never one the walk finds a change in, and ``check_pairs``
    with the stored outlines gives the reports it gives with the contracts. (answered from the
    rows, earlier versions given by outline, of those loaded)"""
    keys = [str(i) for i in range(len(versions))]
    index = {id(v.schema): i for i, v in enumerate(versions)}
    before: dict[tuple[int, int], bool] = {}  # (new, earlier) -> unbroken, before the restart
    unbroken = History.unbroken

    def recorded(self: History, old: Any) -> bool:
        claimed = before[index[id(self.new)], index[id(old)]] = unbroken(self, old)
        return claimed

    with monkeypatch.context() as patched:
        patched.setattr(History, "unbroken", recorded)
        store = _registered(versions, policy)
    answered = walked = given = 0
    for i, new in enumerate(versions):
        assert new.schema is not None
        earlier = versions[:i]
        expected = check_pairs(earlier, new, Level.BACKWARD, policy, breaking_only=True)
        _restart()
        outlines = store.restored()
        by_content = History(new.schema, policy, DiffCache())
        asked = by_content.wanted(outlines.values())
        by_content.know({a: store.verdicts[a] for a in asked if a in store.verdicts})
        for j, old in enumerate(versions):
            if keys[j] not in outlines:
                continue
            assert old.schema is not None
            claimed = by_content.unbroken_outline(outlines[keys[j]])
            found = diff_schemas(old.schema, new.schema, policy, breaking_only=True)
            assert not (claimed and found), (i, j, found)
            if j < i and (i, j) in before:  # (what a registry asks: the versions before)
                # every pair answered before the restart is answered after it
                assert bool(claimed) == before[i, j], (i, j)
                answered += bool(claimed)
        # the check a registry makes after a restart: earlier versions by their outlines
        _restart()
        outlines = store.restored()
        loaded: list[str] = []

        def loader(index: int, loaded: list[str] = loaded) -> Callable[[], Contract]:
            def load_it() -> Contract:
                loaded.append(keys[index])
                return versions[index]

            return load_it

        deferred = [
            Deferred(outlines[keys[j]], loader(j)) if keys[j] in outlines else versions[j]
            for j in range(i)
        ]
        given += sum(isinstance(d, Deferred) for d in deferred)
        got = check_pairs(
            deferred, new, Level.BACKWARD, policy, breaking_only=True,
            known=KnownInclusions(store.inclusions), keys=keys[:i], key=keys[i],
            stored=store.stored(set()),
        )  # fmt: skip
        assert got == expected, i
        walked += len(loaded)
    return answered, given, walked


@pytest.mark.parametrize("policy", list(Policy))
def test_after_a_restart_stored_outlines_and_verdicts_give_the_same_answers(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registry that restarts reads its outlines and verdicts back (module state emptied):
    the same answers, for every pair, as before the restart (``_restarted``); not vacuous:
    pairs answered from the stored rows alone, and those not loaded (their guards' inclusions
    known through the stored ones)."""
    versions = [load(_version(n)) for n in range(1, 16)]
    answered, given, walked = _restarted(versions, policy, monkeypatch)
    assert answered >= 10, answered
    assert walked <= given - answered, (walked, given)


def test_after_a_restart_each_golden_case_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same for each JSON Schema golden case's versions (registered in turn)."""
    answered = given = 0
    for versions, policy in _golden():
        done = _restarted(versions, policy, monkeypatch)
        answered += done[0]
        given += done[1]
    assert answered > 20 and given > 50, (answered, given)


def test_a_damaged_outline_row_is_not_restored() -> None:
    versions = [load(_version(n)) for n in range(1, 5)]
    store = _registered(versions, Policy.STRICT)
    _restart()
    draft, frame, required, ids = store.outlines["1"]
    restorer = Restorer(store.names)
    assert restorer.outline(draft, frame, required, [*ids, 10_000]) is None  # unknown id
    assert restorer.outline(draft, frame, required, [*ids, ids[0]]) is None  # twice
    assert restorer.outline(draft, frame, required, ids) is not None


def _outline_facts(made: history.Outline | None) -> tuple[object, ...] | None:
    """What an outline says, its names made from its entries (not the ones it carries)."""
    if made is None:
        return None
    names = frozenset(made.named[n][0] for n in made.entries)
    return (made.draft, made.frame, made.entries, names, made.required)


def test_outlines_restored_in_turn_are_those_restored_alone() -> None:
    """A Restorer makes each outline from the one it restored before it (by the ids that
    differ) where they share most entries: the same outline as one restored alone, in any
    order, the names it carries being those of its entries; a damaged row between two does
    not change the next."""
    versions = [load(_version(n)) for n in range(1, 16)]
    store = _registered(versions, Policy.STRICT)
    _restart()
    rows = list(store.outlines.values())
    alone = [_outline_facts(Restorer(store.names).outline(*row)) for row in rows]
    assert None not in alone
    unknown, twice = max(store.names) + 1, rows[0][3][0]
    last = len(rows) - 1
    assert last >= 8, last
    for order in (list(range(last + 1)), list(range(last + 1))[::-1], [0, last, 1, last - 1, 4]):
        restorer = Restorer(store.names)
        for index in order:
            draft, frame, required, ids = rows[index]
            assert restorer.outline(draft, frame, required, [*ids, unknown]) is None
            made = restorer.outline(draft, frame, required, ids)
            assert _outline_facts(made) == alone[index], (order, index)
            assert made is not None and made.names == _outline_facts(made)[3]  # type: ignore[index]
            assert restorer.outline(draft, frame, required, [*ids[1:], twice, twice]) is None


def test_a_restored_outline_naming_a_property_twice_has_its_names_made_later() -> None:
    """Two entries with one name (not an outline the registry writes): the outline is still
    restored, its names made by ``names_of``; the next one restored from it as well."""
    versions = [load(_version(n)) for n in range(1, 4)]
    store = _registered(versions, Policy.STRICT)
    _restart()
    (draft, frame, required, ids), (_, frame2, required2, ids2) = list(store.outlines.values())[:2]
    name = store.names[ids[0]][0]
    named = {**store.names, 10_000: (name, "a content key of its own")}
    restorer = Restorer(named)
    made = restorer.outline(draft, frame, required, [*ids, 10_000])
    assert made is not None and made.names is None
    assert history.names_of(made) == frozenset(store.names[i][0] for i in ids)
    after = restorer.outline(draft, frame2, required2, ids2)
    assert _outline_facts(after) == _outline_facts(
        Restorer(store.names).outline(draft, frame2, required2, ids2)
    )
    assert after is not None and history.names_of(after) == frozenset(
        store.names[i][0] for i in ids2
    )
