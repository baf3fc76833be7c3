"""The cheap paths of the witness search change its cost, never its results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts.compat.diff import diff_schemas
from evreg.contracts.compat.witness import WitnessFinder
from evreg.contracts.compat.witness import finder as witness
from evreg.contracts.compat.witness import sides as witness_sides
from evreg.contracts.compat.witness.sides import Scope
from evreg.contracts.model import DRAFT7, SchemaRef

SHARED = Path(__file__).resolve().parents[3] / "shared" / "compat-cases" / "confluent"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    witness_sides._local.__dict__.clear()


def d7(schema: Any) -> SchemaRef:
    doc = {"$schema": DRAFT7, **schema} if isinstance(schema, dict) else schema
    return SchemaRef(doc, "#", doc, DRAFT7, {})


def _all_witnesses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("diff-schema-examples.json", "diff-combined-schema-examples.json"):
        for i, case in enumerate(json.loads((SHARED / name).read_text(encoding="utf-8"))):
            old, new = d7(case["original_schema"]), d7(case["update_schema"])
            for writer, reader, way in ((old, new, "b"), (new, old, "f")):
                witness_sides._local.__dict__.clear()
                finder = WitnessFinder(writer, reader)
                for change in diff_schemas(writer, reader):
                    result = finder.find(change)
                    out[f"{name}{i}{way} {change.rule} {change.path}"] = result.value
    return out


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared compatibility cases are not here")
def test_the_quick_check_only_saves_time(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = _all_witnesses()
    monkeypatch.setattr(Scope, "sure", lambda self, schema, value: None)
    slow = _all_witnesses()  # every check by jsonschema
    assert sum(v is not None for v in quick.values()) > 150
    assert quick == slow


def test_a_reported_witness_is_always_checked_by_jsonschema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer, reader = d7({"type": "string"}), d7({"type": "integer"})
    (change,) = diff_schemas(writer, reader)
    checked: list[Any] = []
    real = Scope.validates

    def validates(self: Scope, schema: Any, value: Any) -> bool:
        checked.append(value)
        return real(self, schema, value)

    monkeypatch.setattr(Scope, "validates", validates)
    result = WitnessFinder(writer, reader).find(change)
    assert result.found
    # under the reader root, then the writer root (no `format` anywhere: one reading)
    assert checked.count(result.value) == 2
    checked.clear()
    writer, reader = d7({"type": "string", "format": "email"}), d7({"type": "integer"})
    (change,) = diff_schemas(writer, reader)
    result = WitnessFinder(writer, reader).find(change)
    assert result.found
    # then both again with the other reading of `format` (annotation for the writer,
    # assertion for the reader)
    assert checked.count(result.value) == 4
    monkeypatch.setattr(Scope, "validates", lambda self, schema, value: False)
    witness_sides._local.__dict__.clear()
    result = WitnessFinder(writer, reader).find(change)
    assert not result.found  # the quick check alone proves nothing


def test_two_changes_with_one_witness_validate_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = d7({"type": "array", "items": [{"type": "string"}, {"type": "number"}]})
    reader = d7({"type": "array", "items": [{"type": "string"}], "additionalItems": False})
    calls: list[Any] = []
    real = Scope.validates
    monkeypatch.setattr(Scope, "validates", lambda self, s, v: calls.append(v) or real(self, s, v))
    finder = WitnessFinder(writer, reader)
    results = [finder.find(change) for change in diff_schemas(writer, reader)]
    witnesses = [json.dumps(r.value) for r in results if r.found]
    assert len(witnesses) >= 2
    # each distinct witness: writer and reader roots (no `format`: one reading of it)
    assert len(calls) == 2 * len(set(witnesses))


def test_a_hopeless_search_is_short_and_says_how_far_it_went() -> None:
    # an equivalent pattern rewritten: no event shows it, and nothing says so before a search
    writer = d7({"type": "string", "pattern": "^[0-9]+$"})
    reader = d7({"type": "string", "pattern": "^[0-9][0-9]*$"})
    (change,) = diff_schemas(writer, reader)
    result = WitnessFinder(writer, reader).find(change)
    assert not result.found
    assert result.note is not None and "may be safe" in result.note
    tried = int(result.note.split(" among ")[1].split(" ")[0])
    assert 0 < tried <= witness._MAX_FUTILE + witness._MAX_ENCLOSING


def test_the_root_level_is_not_searched_twice() -> None:
    writer = d7({"type": "string", "pattern": "^[0-9]+$"})
    reader = d7({"type": "string", "pattern": "^[0-9][0-9]*$"})
    (change,) = diff_schemas(writer, reader)
    levels: list[Any] = []
    finder = WitnessFinder(writer, reader)
    stage = finder._stage

    def spy(*args: Any) -> Any:
        levels.append(args[3])  # (writer root, reader root, nodes, instance path, ...)
        return stage(*args)

    finder._stage = spy  # type: ignore[method-assign]
    assert not finder.find(change).found
    # once by the focused first pass, once by the exploring search (not twice by either)
    assert levels == [(), ()]


def test_what_the_focused_values_miss_is_found_at_the_head_of_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # number -> integer: the focused values (the sample 0) miss; 0.5 comes early in the
    # exploring stream, so the first search finds it and no second search runs
    writer, reader = d7({"type": "number"}), d7({"type": "integer"})
    (change,) = diff_schemas(writer, reader)

    def witness_and_searches() -> tuple[Any, list[bool]]:
        witness_sides._local.__dict__.clear()
        finder = WitnessFinder(writer, reader)
        search = finder._search
        explored: list[bool] = []

        def spy(change: Any, path: Any, limits: witness.Limits) -> Any:
            explored.append(limits.explore)
            return search(change, path, limits)

        finder._search = spy  # type: ignore[method-assign]
        result = finder.find(change)
        assert result.found
        return result.value, explored

    value, explored = witness_and_searches()
    assert value == 0.5 and explored == [False]
    # without the head, the exploring search finds the same event, in a second search
    monkeypatch.setattr(
        witness,
        "_FIRST",
        witness._FIRST.__class__(
            **{
                **{
                    f: getattr(witness._FIRST, f)
                    for f in ("events", "local", "enclosing", "futile")
                },
                "explore": False,
            }
        ),
    )
    assert witness_and_searches() == (0.5, [False, True])
