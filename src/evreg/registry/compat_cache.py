"""The registry's compatibility caches, and the check of a new schema against earlier ones.

Two bounded in-process caches, both keyed by fingerprints of immutable content, so an entry is
never stale whichever registry process wrote the rows, and nothing is persisted:

- parsed contracts by a stored schema's identity fingerprint (type, canonical text, pinned
  references): an earlier version is loaded and typed once per process, not once per check;
- the report of each (earlier schema, new schema, direction, policy, kind) pair: a schema
  checked before it is registered, or checked again, costs no engine work for the pairs seen
  before. The kind is ``full`` (every finding: what ``/api/subjects/{s}/check`` shows) or
  ``breaking`` (only the breaking findings: all a registration or a Confluent compatibility
  test needs, the verdict and the messages, computed without listing accepted changes; see
  :func:`check_pairs`); a ``breaking`` lookup is also answered by a cached ``full`` report.

The pairs not in the cache are compared in one engine run (:func:`check_pairs`), which types
the new schema once and compares each sub-schema the earlier versions share with it once.
The caches change what is computed, never the answer: the check itself still runs over the
versions the caller read (inside its write transaction, for a registration).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Generic, TypeVar

from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from evreg.contracts import Contract, ContractError, Finding, Level, Policy, Report
from evreg.contracts.compat.check import check_pairs
from evreg.registry import errors
from evreg.registry.store import Reference
from evreg.registry.store.tables import SchemaReference, SchemaRow

K = TypeVar("K")
V = TypeVar("V")

# (earlier schema's fingerprint, new schema's fingerprint, direction, policy, kind)
PairKey = tuple[str, str, str, str, str]
FULL = "full"
BREAKING = "breaking"

_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_VERSION = _FIELDS.index("version")
_values = attrgetter(*_FIELDS)

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

    def get_first(self, keys: Sequence[K]) -> tuple[int, V] | None:
        """(index, value) of the first of ``keys`` cached; one hit or one miss in all."""
        with self._lock:
            for index, key in enumerate(keys):
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return index, self._data[key]
            self.misses += 1
            return None

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


def prefetch(session: Session, rows: Sequence[SchemaRow]) -> dict[int, list[Reference]]:
    """Read the text and the references of ``rows`` in two queries per 500 rows (instead of two
    per row): what loading their contracts needs. Returns id -> references, in order."""
    ids = [int(row.id or 0) for row in rows]
    texts: dict[int, str] = {}
    references: dict[int, list[Reference]] = {schema_id: [] for schema_id in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for schema_id, text in session.exec(
            select(SchemaRow.id, SchemaRow.canonical).where(col(SchemaRow.id).in_(chunk))
        ):
            texts[int(schema_id or 0)] = text
        for ref in session.exec(
            select(SchemaReference)
            .where(col(SchemaReference.schema_id).in_(chunk))
            .order_by(col(SchemaReference.schema_id), col(SchemaReference.position))
        ):
            references[ref.schema_id].append(Reference(ref.name, ref.subject, ref.version))
    for row in rows:
        set_committed_value(row, "canonical", texts[int(row.id or 0)])
    return references


def pair_findings(
    reports: LRU[PairKey, Report],
    earlier: Sequence[tuple[int, SchemaRow]],
    load: Callable[[Sequence[SchemaRow]], list[Contract]],
    new_fingerprint: str,
    new: Contract,
    direction: Level,
    policy: Policy,
    breaking_only: bool = False,
) -> dict[int, tuple[Finding, ...]]:
    """Version -> the findings of ``new`` after that version's schema, in one ``direction``
    (BACKWARD or FORWARD), numbered with the version; with ``breaking_only``, only the breaking
    ones. ``earlier`` holds (version, schema row) pairs. From the cache, and for the pairs it
    lacks from one engine run whose reports are then cached; ``load`` is called once, with the
    earlier schemas of those pairs. A report is cached numbered with the version it was
    computed for, so checking the same pair again at the same version (a check, then the
    registration) copies nothing."""
    out: dict[int, tuple[Finding, ...]] = {}
    missing: dict[str, list[int]] = {}
    rows: dict[str, SchemaRow] = {}
    kind = BREAKING if breaking_only else FULL
    # a breaking-only answer is also in a full report
    kinds = (BREAKING, FULL) if breaking_only else (FULL,)
    for version, row in earlier:
        fingerprint = row.fingerprint
        if fingerprint in missing:
            missing[fingerprint].append(version)
            continue
        base = (fingerprint, new_fingerprint, direction.value, policy.value)
        found = reports.get_first([(*base, k) for k in kinds])
        if found is None:
            missing[fingerprint] = [version]
            rows[fingerprint] = row
            continue
        index, report = found
        if kinds[index] != kind:  # the breaking findings of a cached full report
            report = _breaking(report)
            reports.put((*base, kind), report)
        out[version] = _at(report.findings, version)
    if not missing:
        return out
    contracts = load(list(rows.values()))
    first = [versions[0] for versions in missing.values()]
    try:
        computed = check_pairs(
            contracts,
            new,
            level=direction,
            policy=policy,
            versions=first,
            breaking_only=breaking_only,
        )
    except ContractError as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
    for (fingerprint, versions), report in zip(missing.items(), computed, strict=True):
        reports.put((fingerprint, new_fingerprint, direction.value, policy.value, kind), report)
        for version in versions:
            out[version] = _at(report.findings, version)
    return out


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
