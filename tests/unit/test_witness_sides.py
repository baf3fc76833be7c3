"""witness_sides: one Side per schema and role in each thread, reused without changing results."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from evreg.contracts.compat.diff import diff_schemas
from evreg.contracts.compat.witness import WitnessFinder
from evreg.contracts.compat.witness import sides as witness_sides
from evreg.contracts.compat.witness.branches import SamplerMemo
from evreg.contracts.compat.witness.candidates import Sampler
from evreg.contracts.compat.witness.sample import PlainContext
from evreg.contracts.compat.witness.sides import side_for
from evreg.contracts.model import DRAFT7, DRAFT2020, SchemaRef

SHARED = Path(__file__).resolve().parents[3] / "shared" / "compat-cases" / "confluent"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    witness_sides._local.__dict__.clear()


def ref(schema: Any, draft: str = DRAFT2020) -> SchemaRef:
    return SchemaRef(schema, "#", schema, draft, {})


def test_the_same_schema_gets_the_same_side_per_role() -> None:
    doc = {"type": "string"}
    first = side_for(ref(doc), writer=True)
    again = side_for(SchemaRef(doc, "#", doc, DRAFT2020, first.ref.resources), writer=True)
    assert again is first
    assert side_for(ref(doc), writer=False) is not first  # the reader does not assert formats
    assert side_for(ref({"type": "string"}), writer=True) is not first  # another document
    assert side_for(ref(doc, DRAFT7), writer=True) is not first


def test_the_cache_is_bounded_and_per_thread() -> None:
    refs = [ref({"maxLength": i}) for i in range(witness_sides._MAX_SIDES + 5)]
    sides = [side_for(r, writer=True) for r in refs]
    assert len(witness_sides._local.sides) == witness_sides._MAX_SIDES
    assert side_for(refs[-1], writer=True) is sides[-1]
    assert side_for(refs[0], writer=True) is not sides[0]  # the oldest went first
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(side_for(refs[-1], writer=True)))
    thread.start()
    thread.join()
    assert other[0] is not sides[-1]


def test_a_finder_that_is_never_asked_builds_nothing() -> None:
    WitnessFinder(ref({"type": "string"}), ref({"type": "integer"}))
    assert not getattr(witness_sides._local, "sides", None)


def _cases() -> list[tuple[SchemaRef, SchemaRef]]:
    out = []
    for name in ("diff-schema-examples.json", "diff-combined-schema-examples.json"):
        for case in json.loads((SHARED / name).read_text(encoding="utf-8")):
            pair = []
            for key in ("original_schema", "update_schema"):
                schema = case[key]
                if isinstance(schema, dict):
                    schema = {"$schema": DRAFT7, **schema}
                pair.append(SchemaRef(schema, "#", schema, DRAFT7, {}))
            out.append((pair[0], pair[1]))
    return out


def _witnesses(pairs: list[tuple[int, SchemaRef, SchemaRef]], clear: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, old, new in pairs:
        for writer, reader, direction in ((old, new, "b"), (new, old, "f")):
            if clear:
                witness_sides._local.__dict__.clear()
            finder = WitnessFinder(writer, reader)
            for change in diff_schemas(writer, reader):
                result = finder.find(change)
                out[f"{i}{direction} {change.rule} {change.path}"] = result.value
    return out


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared compatibility cases are not here")
def test_warm_sides_give_the_same_witnesses_as_cold_ones() -> None:
    pairs = [(i, old, new) for i, (old, new) in enumerate(_cases())]
    cold = _witnesses(pairs, clear=True)
    _witnesses(pairs, clear=False)  # warm every side up, in this order...
    warm = _witnesses(pairs[::-1], clear=False)  # ...and ask again in the other
    assert sum(v is not None for v in cold.values()) > 100
    assert warm == cold


def test_samples_shared_through_a_memo_do_not_depend_on_what_was_asked_first() -> None:
    # A and K need each other: sampled inside the other, each is cut off and takes its
    # scalar branch; sampled first, it is not. Only cut-off-free samples go to the memo.
    def needs(name: str, ref: str) -> dict[str, Any]:
        return {"type": "object", "required": [name], "properties": {name: {"$ref": ref}}}

    doc: dict[str, Any] = {
        "$defs": {
            "A": {
                "anyOf": [
                    needs("k", "#/$defs/K"),
                    {"type": "string"},
                ]
            },
            "K": {
                "anyOf": [
                    needs("a", "#/$defs/A"),
                    {"type": "integer"},
                ]
            },
        }
    }
    ctx = PlainContext(doc)
    a, k = doc["$defs"]["A"], doc["$defs"]["K"]
    nodes = [a, k, a["anyOf"][0]["properties"]["k"], k["anyOf"][0]["properties"]["a"]]
    fresh = [Sampler(DRAFT2020).sample(((n, ctx),)) for n in nodes]
    assert fresh[0] == {"k": {"a": "a"}} and fresh[1] == {"a": {"k": 0}}
    for first in nodes:
        for node, expected in zip(nodes, fresh, strict=True):
            memo = SamplerMemo()
            Sampler(DRAFT2020, memo).sample(((first, ctx),))
            assert Sampler(DRAFT2020, memo).sample(((node, ctx),)) == expected
