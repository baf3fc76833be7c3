"""Shrink a finding of the fuzzer to a small pair that still shows it (for reports).

Members (object keys, array entries) are deleted from both schemas at once, or from one where
only it has them, while the pair keeps the property: for a silent unsound verdict, evreg still
says compatible (without disclosing a witness) and the search still finds a counterexample.
Both schemas stay valid under their meta-schema with every ``$ref`` resolving. The
counterexample is then made small the same way (members deleted, values made plain).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from .fuzz import Outcome, check_pair, sides
from .mutate import Pair, valid_schema
from .oracle import Oracle

Path = tuple[str | int, ...]


def shrink_unsound(outcome: Outcome, budget: int = 300, rounds: int = 6) -> Outcome:
    """The smallest pair found that is still silently unsound at the outcome's level/policy."""

    def still(pair: Pair) -> Outcome | None:
        out = check_pair(pair, outcome.level, outcome.policy, budget)
        return out if out.unsound else None

    best = _shrink(outcome, still, rounds)
    assert best.counterexample is not None
    direction, event = best.counterexample
    best.counterexample = (direction, smallest_event(Oracle(*sides(best.pair, direction)), event))
    return best


def shrink_unproven(outcome: Outcome, budget: int = 300, rounds: int = 6) -> Outcome:
    """The smallest pair found that evreg still calls incompatible with no confirmed witness,
    for which the search still finds no counterexample either (a candidate over-strict
    verdict)."""

    def still(pair: Pair) -> Outcome | None:
        out = check_pair(pair, outcome.level, outcome.policy, budget, search_incompatible=True)
        same = set(out.breaking_rules) <= set(outcome.breaking_rules)
        return out if out.unproven and same else None

    return _shrink(outcome, still, rounds)


def smallest_event(oracle: Oracle, event: Any) -> Any:
    """``event`` with members deleted, and values made plain, while the oracle still takes it
    as a counterexample."""
    best = event
    progress = True
    while progress:
        progress = False
        for path in sorted(_paths(best), key=lambda p: (len(p), p)):
            for candidate in (_without(best, path), *_plainer(best, path)):
                if candidate != best and oracle.proves(candidate):
                    best, progress = candidate, True
                    break
            if progress:
                break  # the paths changed: list them again
    for plain in PLAIN:
        if oracle.proves(plain):
            return plain
    return best


def _plainer(root: Any, path: Path) -> Iterator[Any]:
    """``root`` with the value at ``path`` (not plain already) replaced by plain ones."""
    node = root
    for step in path[:-1]:
        node = node[step]
    if any(_same(node[path[-1]], plain) for plain in PLAIN):
        return
    for plain in PLAIN:
        out = copy.deepcopy(root)
        node = out
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = plain
        yield out


PLAIN: tuple[Any, ...] = (None, 0, "", True, {}, [])


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _shrink(outcome: Outcome, still: Callable[[Pair], Outcome | None], rounds: int) -> Outcome:
    best = outcome
    for _ in range(rounds):
        progress = False
        paths = sorted(
            set(_paths(best.pair.old)) | set(_paths(best.pair.new)), key=lambda p: (len(p), p)
        )
        for path in paths:
            old, new = _without(best.pair.old, path), _without(best.pair.new, path)
            if (old, new) == (best.pair.old, best.pair.new):
                continue
            if not (valid_schema(old) and valid_schema(new)):
                continue
            found = still(replace(best.pair, old=old, new=new))
            if found is not None:
                best = found
                progress = True
        if not progress:
            break
    return best


def _paths(node: Any, at: Path = ()) -> Iterator[Path]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*at, key)
            yield from _paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*at, i)
            yield from _paths(value, (*at, i))


def _without(root: Any, path: Path) -> Any:
    """``root`` without the member at ``path`` (unchanged if it has none)."""
    out = copy.deepcopy(root)
    node = out
    for step in path[:-1]:
        if not _has(node, step):
            return root
        node = node[step]
    last = path[-1]
    if not _has(node, last) or (isinstance(node, list) and len(node) < 2):
        return root
    del node[last]
    return out


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(step, str) and step in node
    return isinstance(node, list) and isinstance(step, int) and step < len(node)
