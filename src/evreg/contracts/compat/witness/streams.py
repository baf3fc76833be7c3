"""The plumbing of candidate streams (``candidates``): the hints a reader suggests, iterators
walked lazily and more than once, streams taken in turn, and a value put at a path of an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from evreg.contracts.compat.report import slot_init
from evreg.contracts.compat.witness.constraints import canon

__all__ = ["NO_HINTS", "Hints", "Lazy", "put", "roundrobin"]


@slot_init
@dataclass(frozen=True, slots=True)
class Hints:
    """Probes suggested from outside (by the reader schema) for the top-level values.

    Property names to add, values to try, string lengths, numbers, array sizes and property
    counts: typically just outside the reader's bounds (``Sampler.probes``).
    """

    names: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    lengths: tuple[int, ...] = ()
    numbers: tuple[float, ...] = ()
    items: tuple[int, ...] = ()
    props: tuple[int, ...] = ()
    # names every object built around a hinted name carries too (the property that brings a
    # schema dependency into force, when the hinted names are the ones it constrains)
    present: tuple[str, ...] = ()
    # values to try in a named property: just past the bounds the reader gives it there (its
    # own schema and the patternProperties matching its name)
    named: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def key(self) -> tuple[Any, ...]:
        values = tuple(canon(v) for v in self.values)
        sizes = (self.lengths, self.numbers, self.items, self.props)
        named = tuple((name, tuple(canon(v) for v in vs)) for name, vs in self.named)
        return (self.names, values, *sizes, self.present, named)

    def add_names(self, names: Iterable[str]) -> Hints:
        merged = tuple(dict.fromkeys((*self.names, *names)))
        return replace(self, names=merged)


NO_HINTS: Final = Hints()


def roundrobin(streams: Sequence[Iterator[Any]]) -> Iterator[Any]:
    live = list(streams)
    while live:
        for stream in list(live):
            try:
                yield next(stream)
            except StopIteration:
                live.remove(stream)


class Lazy:
    """A memoised iterator that can be walked many times."""

    __slots__ = ("_done", "_it", "_items")

    def __init__(self, it: Iterator[Any]) -> None:
        self._it, self._items, self._done = it, list[Any](), False

    def __iter__(self) -> Iterator[Any]:
        i = 0
        while True:
            if i < len(self._items):
                yield self._items[i]
                i += 1
            elif self._done:
                return
            else:
                try:
                    self._items.append(next(self._it))
                except StopIteration:
                    self._done = True


def _put(container: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of ``container`` with ``value`` at ``path`` (containers copied along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(container) if isinstance(container, list) else []
        items.extend([None] * (head + 1 - len(items)))
        items[head] = _put(items[head], rest, value)
        return items
    obj = dict(container) if isinstance(container, dict) else {}
    obj[head] = _put(obj.get(head), rest, value)
    return obj


def put(container: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of ``container`` with ``value`` set at ``path``, sharing everything else."""
    return _put(container, path, value)
