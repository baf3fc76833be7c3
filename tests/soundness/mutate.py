"""Pairs of schemas for the soundness fuzzer: a seed and a mutant of it, in either order.

A mutant is its seed after 1-3 edits of :mod:`edits`, each at a random sub-schema, checked
against its draft's meta-schema and with every ``$ref`` resolving. Pair ``i`` of a run with
seed ``s`` depends on ``(s, i)`` alone, so any pair can be rebuilt by its index.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError

from .corpus import Seed
from .edits import CATALOGUE, Ctx
from .schema_walk import refs_resolve, subschemas


@dataclass(frozen=True)
class Edit:
    name: str  # catalogue entry, "enum.remove_value"
    family: str  # keyword family, "enum/const"
    pointer: str  # the sub-schema edited, "/properties/currency" ("" is the root)
    detail: str  # what the edit did

    def __str__(self) -> str:
        return f"{self.name} at #{self.pointer}: {self.detail}"


@dataclass(frozen=True)
class Pair:
    index: int
    seed: str
    old: Any
    new: Any
    edits: tuple[Edit, ...]
    reversed: bool  # old is the mutant and new the seed (the edits undone)

    @property
    def focus(self) -> tuple[str, ...]:
        """The sub-schemas the edits touched: where the search for a counterexample looks."""
        return tuple(e.pointer for e in self.edits)

    def describe(self) -> str:
        order = "mutant -> seed" if self.reversed else "seed -> mutant"
        edits = "; ".join(str(e) for e in self.edits)
        return f"pair {self.index} ({self.seed}, {order}): {edits}"


def mutant(
    schema: dict[str, Any], rng: random.Random, edits: int, patterns: Sequence[str] = ()
) -> tuple[dict[str, Any], tuple[Edit, ...]] | None:
    """``schema`` after ``edits`` random edits, or None if no valid mutant came out."""
    out = copy.deepcopy(schema)
    names = sorted({n for _, node in subschemas(out) for n in node.get("properties", {}) or {}})
    draft7 = "draft-07" in str(out.get("$schema", ""))
    done: list[Edit] = []
    catalogue = sorted(CATALOGUE)
    for _ in range(edits):
        ctx = Ctx(rng, out, draft7, names, list(patterns))
        before = {at: id(node) for at, node in subschemas(out)}
        for _attempt in range(8):  # an edit of the catalogue, then a place where it applies
            name = rng.choice(catalogue)
            places = list(subschemas(out))
            if done and rng.random() < 0.5:  # edit near the last edit: keywords that interact
                last = done[-1]
                places = [(a, n) for a, n in places if _related(a, last.pointer)] or places
                if rng.random() < 0.5:  # and of the same family
                    name = rng.choice([n for n in catalogue if CATALOGUE[n][0] == last.family])
            family, edit = CATALOGUE[name]
            rng.shuffle(places)
            found = _apply(edit, places, ctx)
            if found is not None:
                at, detail = found
                # earlier edits' sub-schemas may have moved (wrapped in a combinator, moved to
                # $defs): follow them by identity
                after = {id(n): where for where, n in subschemas(out)}
                done = [
                    replace(e, pointer=after.get(before.get(e.pointer, -1), e.pointer))
                    for e in done
                ]
                done.append(Edit(name, family, at, detail))
                break
    if not done or not valid_schema(out):
        return None
    return out, tuple(done)


def _apply(
    edit: Any, places: Sequence[tuple[str, dict[str, Any]]], ctx: Ctx
) -> tuple[str, str] | None:
    """Apply ``edit`` at the first of ``places`` where it applies: (pointer, what it did).

    An edit that does not apply changes nothing but (sometimes) its own node, restored here;
    the only edit that touches the root besides its node (ref.extract) does so only when it
    applies."""
    for at, node in places:
        kept = copy.deepcopy(node)
        detail = edit(node, ctx)
        if detail is not None:
            return at, detail
        node.clear()
        node.update(kept)
    return None


def _related(at: str, other: str) -> bool:
    """``at`` is ``other``, its parent, or a sub-schema within it."""
    return at == other or at.startswith(other + "/") or other.rsplit("/", 1)[0] == at


def valid_schema(schema: Any) -> bool:
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError:
        return False
    return refs_resolve(schema)


def corpus_patterns(seeds: Sequence[Seed]) -> list[str]:
    found = {
        node["pattern"]
        for seed in seeds
        for _, node in subschemas(seed.schema)
        if isinstance(node.get("pattern"), str)
    }
    return sorted(found)


def make_pair(seeds: Sequence[Seed], index: int, run_seed: int, patterns: Sequence[str]) -> Pair:
    """Pair ``index`` of the run ``run_seed`` (retrying draws until a valid mutant comes out)."""
    rng = random.Random(f"{run_seed}/{index}")
    while True:
        seed = rng.choice(seeds)
        made = mutant(seed.schema, rng, rng.randint(1, 3), patterns)
        if made is None:
            continue
        schema, edits = made
        if rng.random() < 0.5:
            return Pair(index, seed.name, seed.schema, schema, edits, False)
        return Pair(index, seed.name, schema, seed.schema, edits, True)


def make_pairs(seeds: Sequence[Seed], count: int, run_seed: int = 0) -> Iterator[Pair]:
    patterns = corpus_patterns(seeds)
    for index in range(count):
        yield make_pair(seeds, index, run_seed, patterns)
