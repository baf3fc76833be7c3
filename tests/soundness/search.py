"""The counterexample search: an event valid under the writer and invalid under the reader.

Seeded and bounded (``budget`` candidates). Candidates come from the generator of
:mod:`values` (aimed at the writer, steered by the edited places and the constants of both
schemas) and, a third of the time, from small edits of earlier candidates (a property dropped or
added, a number moved by one, a string lengthened, an element repeated). Every candidate is
judged by :class:`oracle.Oracle`. Nothing of evreg's witness search is used.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from typing import Any

from .oracle import Oracle
from .values import Generator, Hints, mine

NOTHING = object()  # the search found no counterexample


def search(
    writer: Any,
    reader: Any,
    rng: random.Random,
    budget: int,
    focus: Sequence[str] = (),
    oracle: Oracle | None = None,
) -> Any:
    """A counterexample, or :data:`NOTHING` after ``budget`` candidates."""
    oracle = oracle or Oracle(writer, reader)
    hints = mine([writer, reader], rng)
    gen = Generator(writer, rng, hints, focus)
    seen: set[str] = set()
    pool: list[Any] = []
    examples = writer.get("examples") if isinstance(writer, dict) else None
    start = list(examples) if isinstance(examples, list) else []
    for i in range(budget + len(start)):
        if i < len(start):
            candidate = copy.deepcopy(start[i])
        elif pool and rng.random() < 0.33:
            candidate = tweak(rng.choice(pool), rng, hints, gen)
        else:
            candidate = gen.value()
        key = json.dumps(candidate, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        if oracle.proves(candidate):
            return candidate
        if len(pool) < 64:
            pool.append(candidate)
        else:
            pool[rng.randrange(64)] = candidate
    return NOTHING


def tweak(value: Any, rng: random.Random, hints: Hints, gen: Generator) -> Any:
    """``value`` with one small change somewhere inside it."""
    out = copy.deepcopy(value)
    holder: Any = None
    key: Any = None
    node = out
    for _ in range(rng.randint(0, 4)):  # walk down a random path
        if isinstance(node, dict) and node:
            holder, key = node, rng.choice(list(node))
        elif isinstance(node, list) and node:
            holder, key = node, rng.randrange(len(node))
        else:
            break
        node = holder[key]
    changed = _changed(node, rng, hints, gen)
    if holder is None:
        return gen.anything(0) if changed is _DROP else changed
    if changed is _DROP:
        if isinstance(holder, dict):
            del holder[key]
        else:
            holder.pop(key)
    else:
        holder[key] = changed
    return out


_DROP = object()


def _changed(node: Any, rng: random.Random, hints: Hints, gen: Generator) -> Any:
    roll = rng.random()
    if roll < 0.15:
        return _DROP
    if roll < 0.3:
        return copy.deepcopy(rng.choice(hints.values)) if hints.values else gen.anything(3)
    if roll < 0.4:
        return gen.anything(3)
    if isinstance(node, bool) or node is None:
        return not node
    if isinstance(node, int | float):
        return node + rng.choice((1, -1, 0.5, -0.5, 0.01))
    if isinstance(node, str):
        return rng.choice((node + "x", node[:-1], node * 2, "", node.upper(), " " + node))
    if isinstance(node, dict):
        node = dict(node)
        node[gen.some_name()] = rng.choice([*hints.values, gen.anything(3)])
        return node
    if isinstance(node, list):
        return [*node, copy.deepcopy(rng.choice(node))] if node else [gen.anything(3)]
    return node
