"""The registry's compatibility caches, and the check of a new schema against earlier ones.

Two bounded in-process caches, both keyed by fingerprints of immutable content, so an entry is
never stale whichever registry process wrote the rows:

- parsed contracts by a stored schema's identity fingerprint (type, canonical text, pinned
  references): an earlier version is loaded and typed once per process, not once per check;
- the report of each (earlier schema, new schema, direction, policy, kind) pair: a schema
  checked before it is registered, or checked again, costs no engine work for the pairs seen
  before. The kind is ``full`` (every finding: what ``/api/subjects/{s}/check`` shows) or
  ``breaking`` (only the breaking findings: all a registration or a Confluent compatibility
  test needs, the verdict and the messages, computed without listing accepted changes; see
  :func:`check_pairs`); a ``breaking`` lookup is also answered by a cached ``full`` report.

And the inclusions the engine's semantic guard proved between two schemas (:class:`Inclusions`,
by identity fingerprints), also stored (table ``inclusions``, written with a registration) so
that they outlive a restart: a transitive check proves the new version's inclusion against the
newest earlier one and chains those (``evreg.contracts.compat.guard.known``), instead of one
proof per earlier version.

The earlier schemas' heads (id, fingerprint, type) are read in bulk by the store
(``ReadWork.schema_heads``) once per process (:class:`Heads`: a schema row is never changed or
deleted), and the rows of those to load (``schema_rows``, ``prefetch``).
The pairs not in the cache are compared in one engine run (:func:`check_pairs`), which types
the new schema once and compares each sub-schema the earlier versions share with it once.
The caches change what is computed, never the answer: the check itself still runs over the
versions the caller read (inside its write transaction, for a registration).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Generic, TypeVar

from evreg.contracts import Contract, ContractError, Finding, Level, Policy, Report
from evreg.contracts.compat.check import Deferred, check_pairs
from evreg.contracts.compat.diff.history import Stored
from evreg.contracts.compat.guard import KnownInclusions
from evreg.contracts.patterns import PatternError, locate
from evreg.registry import errors
from evreg.registry.store.bulk import SchemaHead
from evreg.registry.store.work import ReadWork, WriteWork

K = TypeVar("K")
V = TypeVar("V")

# (earlier schema's fingerprint, new schema's fingerprint, direction, policy, kind)
PairKey = tuple[str, str, str, str, str]
FULL = "full"
BREAKING = "breaking"

_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_VERSION = _FIELDS.index("version")
_values = attrgetter(*_FIELDS)


class LRU(Generic[K, V]):
    """A small thread-safe LRU cache that counts its hits and misses, bounded by entries and,
    with ``weigh`` (an estimate of an entry's bytes), by ``max_bytes`` (the newest entry is
    always kept). ``bytes`` is the estimated total."""

    def __init__(
        self,
        size: int,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._data: OrderedDict[K, V] = OrderedDict()
        self._weights: dict[K, int] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.bytes = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: K, value: V) -> None:
        self.put_all([(key, value)])

    def put_all(self, items: Sequence[tuple[K, V]]) -> None:
        """:meth:`put` each (key, value) of ``items``, in order, under one lock."""
        weigh = self._weigh
        weights = []
        weighed: dict[int, int] = {}  # (by value: a check puts one shared report many times)
        for _, value in items:
            weight = weighed.get(id(value)) if weigh is not None else 0
            if weight is None:
                weight = weighed[id(value)] = weigh(value)  # type: ignore[misc]
            weights.append(weight)
        with self._lock:
            data = self._data
            for (key, value), weight in zip(items, weights, strict=True):
                self.bytes += weight - self._weights.get(key, 0)
                self._weights[key] = weight
                data[key] = value
                data.move_to_end(key)
            most = self.max_bytes
            while len(data) > self.size or (
                most is not None and self.bytes > most and len(data) > 1
            ):
                old, _ = data.popitem(last=False)
                self.bytes -= self._weights.pop(old, 0)

    def cached(self, keys: Sequence[K]) -> list[V | None]:
        """The value of each of ``keys`` (None where it is not cached), under one lock; each
        found is a hit, the others are not counted (a caller computes those through
        :meth:`get_or_compute`, which counts the miss)."""
        out: list[V | None] = []
        with self._lock:
            data = self._data
            for key in keys:
                value = data.get(key)
                if value is not None:
                    data.move_to_end(key)
                    self.hits += 1
                out.append(value)
        return out

    def get_first(self, keys: Sequence[K]) -> tuple[int, V] | None:
        """(index, value) of the first of ``keys`` cached; one hit or one miss in all."""
        return self.get_firsts([keys])[0]

    def get_firsts(self, key_lists: Sequence[Sequence[K]]) -> list[tuple[int, V] | None]:
        """:meth:`get_first` of each of ``key_lists``, under one lock."""
        out: list[tuple[int, V] | None] = []
        with self._lock:
            data = self._data
            for keys in key_lists:
                for index, key in enumerate(keys):
                    if key in data:
                        data.move_to_end(key)
                        self.hits += 1
                        out.append((index, data[key]))
                        break
                else:
                    self.misses += 1
                    out.append(None)
        return out

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        self.put(key, value)
        return value

    def __contains__(self, key: object) -> bool:
        """Is ``key`` cached? (Not counted as a hit or a miss.)"""
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)


class Inclusions:
    """The inclusions between schemas the engine's guard proved (by identity fingerprints),
    and which schemas' stored ones were read from the database already. Thread-safe."""

    def __init__(self, max_facts: int = 200_000) -> None:
        self.known = KnownInclusions(max_facts=max_facts)
        self._lock = threading.Lock()
        self._read: set[str] = set()
        self._generation = 0

    def unread(self, fingerprints: Sequence[str]) -> list[str]:
        """Those of ``fingerprints`` whose stored inclusions are not read yet (all of them
        again once the facts were dropped for their bound)."""
        with self._lock:
            if self._generation != self.known.generation or len(self._read) > self.known.max_facts:
                self._read.clear()
                self._generation = self.known.generation
            return [f for f in dict.fromkeys(fingerprints) if f not in self._read]

    def read(self, fingerprints: Sequence[str], facts: Sequence[tuple[str, str]]) -> None:
        """``facts``: the stored inclusions of ``fingerprints`` (their writers)."""
        self.known.load(facts)
        with self._lock:
            self._read.update(fingerprints)


class Heads:
    """Schema heads (id, fingerprint, type) by row id, read once per process: a schema row is
    never changed or deleted (a permanent delete removes versions, not schemas), so what a
    row id names is fixed once its row is committed. A check against 200 earlier versions
    reads their 200 heads from here, not from the database (on SQLite each read walks past the
    row's stored text to its fingerprint). Rows read inside a write transaction are remembered
    once it commits: an id a rolled-back insert used may be given to another schema. Bounded
    by ``max_entries`` (all dropped when it is reached, as a cache). Thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: dict[int, SchemaHead] = {}
        self._lock = threading.Lock()

    def of(self, work: ReadWork, schema_ids: Sequence[int]) -> dict[int, SchemaHead]:
        """id -> head of those of ``schema_ids`` whose row exists (from memory, or read)."""
        with self._lock:
            data = self._data
            found = {i: data[i] for i in schema_ids if i in data}
        if len(found) < len(schema_ids):
            read = work.schema_heads(i for i in schema_ids if i not in found)
            found.update(read)
            if isinstance(work, WriteWork):
                work.on_commit(lambda: self._remember(read))
            else:
                self._remember(read)
        return found

    def _remember(self, heads: dict[int, SchemaHead]) -> None:
        with self._lock:
            if len(self._data) + len(heads) > self.max_entries:
                self._data.clear()
            self._data.update(heads)

    def __len__(self) -> int:
        return len(self._data)


def pair_findings(
    reports: LRU[PairKey, Report],
    earlier: Sequence[tuple[int, SchemaHead]],
    load: Callable[[Sequence[SchemaHead]], list[Contract | Deferred]],
    new_fingerprint: str,
    new: Contract,
    direction: Level,
    policy: Policy,
    breaking_only: bool = False,
    known: KnownInclusions | None = None,
    stored: Stored | None = None,
) -> dict[int, tuple[Finding, ...]]:
    """Version -> the findings of ``new`` after that version's schema, in one ``direction``
    (BACKWARD or FORWARD), numbered with the version; with ``breaking_only``, only the breaking
    ones. ``earlier`` holds (version, schema head) pairs. From the cache, and for the pairs it
    lacks from one engine run whose reports are then cached; ``load`` is called once, with the
    earlier schemas of those pairs. A report is cached numbered with the version it was
    computed for, so checking the same pair again at the same version (a check, then the
    registration) copies nothing. ``known``: the inclusions proven before, by fingerprints
    (see :func:`check_pairs`); those proven now are added to it. ``load`` may give an earlier
    schema by its stored outline (``Deferred``), with ``stored`` (see :func:`check_pairs`)."""
    out: dict[int, tuple[Finding, ...]] = {}
    kind = BREAKING if breaking_only else FULL
    # a breaking-only answer is also in a full report
    kinds = (BREAKING, FULL) if breaking_only else (FULL,)
    tail = (new_fingerprint, direction.value, policy.value)
    # each earlier schema once (by fingerprint), with the versions it is
    numbers: dict[str, list[int]] = {}
    heads: dict[str, SchemaHead] = {}
    for version, row in earlier:
        fingerprint = row.fingerprint
        if fingerprint in numbers:
            numbers[fingerprint].append(version)
        else:
            numbers[fingerprint] = [version]
            heads[fingerprint] = row
    missing: dict[str, list[int]] = {}
    cached = reports.get_firsts([[(f, *tail, k) for k in kinds] for f in numbers])
    for (fingerprint, versions), found in zip(numbers.items(), cached, strict=True):
        if found is None:
            missing[fingerprint] = versions
            continue
        index, report = found
        if kinds[index] != kind:  # the breaking findings of a cached full report
            report = _breaking(report)
            reports.put((fingerprint, *tail, kind), report)
        for version in versions:
            out[version] = _at(report.findings, version)
    if not missing:
        return out
    contracts = load([heads[fingerprint] for fingerprint in missing])
    first = [versions[0] for versions in missing.values()]
    try:
        computed = check_pairs(
            contracts,
            new,
            level=direction,
            policy=policy,
            versions=first,
            breaking_only=breaking_only,
            known=known,
            keys=list(missing),
            key=new_fingerprint,
            stored=stored,
        )
    except PatternError as exc:
        sides = [
            ("the new schema", new),
            *(
                (f"version {v}", c)
                for v, c in zip(first, contracts, strict=True)
                if isinstance(c, Contract)
            ),
        ]
        raise pattern_refused(exc, sides) from None
    except ContractError as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
    reports.put_all([((f, *tail, kind), r) for f, r in zip(missing, computed, strict=True)])
    for versions, report in zip(missing.values(), computed, strict=True):
        for version in versions:
            out[version] = _at(report.findings, version)
    return out


def pattern_refused(
    exc: PatternError, sides: Sequence[tuple[str, Contract]]
) -> errors.InvalidSchema:
    """422/42201 for a pattern a check could not evaluate (over the request's budget, or one
    evreg cannot run), naming the first schema of ``sides`` holding it and its JSON Pointer."""
    where = exc.pointer
    for label, contract in sides:
        found = where or locate(contract.document, exc.pattern)
        if found is not None:
            where = f"{found} of {label}"
            break
    at = f" at {where}" if where else ""
    return errors.InvalidSchema(f"Invalid schema{at}: {exc.message}")


def _breaking(report: Report) -> Report:
    breaking = tuple(f for f in report.findings if f.breaking)
    return (
        report
        if len(breaking) == len(report.findings)
        else Report(report.level, report.policy, breaking)
    )


def _at(findings: tuple[Finding, ...], version: int) -> tuple[Finding, ...]:
    if not findings or findings[0].version == version:
        return findings
    return tuple(numbered(f, version) for f in findings)


def numbered(finding: Finding, version: int) -> Finding:
    """``dataclasses.replace(finding, version=version)``, several times faster: a check against
    a long history numbers thousands of findings."""
    values = list(_values(finding))
    values[_VERSION] = version
    return Finding(*values)
