"""The registry's compatibility caches, and the check of a new schema against earlier ones.

Two bounded in-process caches, both keyed by fingerprints of immutable content, so an entry is
never stale whichever registry process wrote the rows, and nothing is persisted:

- parsed contracts by a stored schema's identity fingerprint (type, canonical text, pinned
  references): an earlier version is loaded and typed once per process, not once per check;
- the report of each (earlier schema, new schema, direction, policy) pair: a schema checked
  before it is registered, or checked again, costs no engine work for the pairs seen before.

The pairs not in the cache are compared in one engine run (:func:`check_pairs`), which types
the new schema once and compares each sub-schema the earlier versions share with it once.
The caches change what is computed, never the answer: the check itself still runs over the
versions the caller read (inside its write transaction, for a registration).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from evreg.contracts import Contract, ContractError, Level, Policy, Report
from evreg.contracts.compat.check import check_pairs
from evreg.registry import errors
from evreg.registry.store.tables import SchemaRow

K = TypeVar("K")
V = TypeVar("V")

# (earlier schema's fingerprint, new schema's fingerprint, direction, policy)
PairKey = tuple[str, str, str, str]

# ids per SELECT ... IN (...): well under SQLite's and PostgreSQL's bound-parameter limits
_CHUNK = 500


class LRU(Generic[K, V]):
    """A small thread-safe LRU cache that counts its hits and misses."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._data)


def schema_rows(session: Session, schema_ids: Iterable[int]) -> dict[int, SchemaRow]:
    """id -> schema row, one query per 500 ids; a row's text is read only if it is used (to
    load a contract the cache does not hold)."""
    wanted = sorted(set(schema_ids))
    out: dict[int, SchemaRow] = {}
    for start in range(0, len(wanted), _CHUNK):
        statement = (
            select(SchemaRow)
            .where(col(SchemaRow.id).in_(wanted[start : start + _CHUNK]))
            .options(defer(SchemaRow.canonical))  # type: ignore[arg-type]
        )
        for row in session.exec(statement):
            out[int(row.id or 0)] = row
    return out


def pair_reports(
    reports: LRU[PairKey, Report],
    earlier: Sequence[SchemaRow],
    load: Callable[[SchemaRow], Contract],
    new_fingerprint: str,
    new: Contract,
    direction: Level,
    policy: Policy,
) -> dict[str, Report]:
    """Earlier schema's fingerprint -> the report of ``new`` after it, in one ``direction``
    (BACKWARD or FORWARD): from the cache, and for the pairs it lacks from one engine run whose
    reports are then cached. ``load`` is called only for the earlier schemas of those pairs."""
    out: dict[str, Report] = {}
    missing: dict[str, SchemaRow] = {}
    for row in earlier:
        if row.fingerprint in out or row.fingerprint in missing:
            continue
        found = reports.get((row.fingerprint, new_fingerprint, direction.value, policy.value))
        if found is None:
            missing[row.fingerprint] = row
        else:
            out[row.fingerprint] = found
    if not missing:
        return out
    rows = list(missing.values())
    contracts = [load(row) for row in rows]
    try:
        computed = check_pairs(contracts, new, level=direction, policy=policy)
    except ContractError as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
    for row, report in zip(rows, computed, strict=True):
        reports.put((row.fingerprint, new_fingerprint, direction.value, policy.value), report)
        out[row.fingerprint] = report
    return out
