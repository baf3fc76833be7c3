"""What every use case shares: the store, the in-process caches and the registry's settings."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TypedDict

from evreg.contracts import Contract, Report
from evreg.contracts.jsonschema_doc import draft_named, prepare_meta_validators
from evreg.contracts.limits import DEFAULT_LIMITS, Limits
from evreg.registry import errors
from evreg.registry.compat_cache import LRU, Heads, Inclusions, PairKey
from evreg.registry.flow import Endpoint
from evreg.registry.payloads import DEFAULT_STRATEGY, parse_strategy
from evreg.registry.stats import Stats
from evreg.registry.store import Store
from evreg.registry.store.id_watch import Changes
from evreg.registry.store.schema_ids import SchemaIds
from evreg.registry.store.work import ReadWork, WriteWork
from evreg.registry.stored_outlines import StoredOutlines
from evreg.registry.values import StoredSchema


class Caches:
    """The bounded in-process caches, all keyed by fingerprints of immutable content or ids of
    immutable rows (see :mod:`evreg.registry.compat_cache`); ``/metrics`` reads the counters
    of those that count."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        # by identity fingerprint; a parsed document takes about 10x its canonical text
        self.contracts: LRU[str, Contract] = LRU(
            size, max_bytes=max_bytes, weigh=lambda c: 10 * len(c.canonical) + 1024
        )
        # by pair (see compat_cache.PairKey); a report's findings as text, twice, and a bit
        self.reports: LRU[PairKey, Report] = LRU(
            size, max_bytes=max_bytes, weigh=lambda r: 2 * len(repr(r.findings)) + 512
        )
        self.endpoints: dict[str, tuple[Endpoint, ...]] = {}  # flow endpoints by version
        # proven inclusions between schemas, by fingerprints (also stored: table inclusions)
        self.inclusions = Inclusions(max_facts=64 * size)
        # earlier schemas' stored outlines and the content verdicts (tables outlines, ...)
        self.outlines = StoredOutlines(size, max_bytes)
        # the (id, fingerprint, type) of schema rows by row id (never changed once committed)
        self.heads = Heads(max_entries=16 * size)

    def counted(self) -> list[tuple[str, LRU[str, Contract] | LRU[PairKey, Report]]]:
        """(name, cache) of each cache that counts its hits and misses."""
        return [("contracts", self.contracts), ("reports", self.reports)]


class Settings(TypedDict, total=False):
    """The keyword settings of :class:`Context` (its ``__init__`` gives their defaults), for
    subclasses that pass them on unchanged."""

    cache_size: int
    cache_bytes: int | None
    payload_subjects: bool
    payload_strategy: str
    limits: Limits
    default_draft: str
    max_references: int | None


class Context:
    """The store, the caches and the settings of one registry process. Thread-safe."""

    def __init__(
        self,
        store: Store,
        *,
        cache_size: int = 4096,
        cache_bytes: int | None = None,
        payload_subjects: bool = True,
        payload_strategy: str = DEFAULT_STRATEGY,
        limits: Limits = DEFAULT_LIMITS,
        default_draft: str = "draft-07",
        max_references: int | None = None,
    ) -> None:
        self.store = store
        # the dialect of a JSON Schema registered without $schema (EVREG_DEFAULT_JSON_SCHEMA_DRAFT)
        draft = draft_named(default_draft)
        if draft is None:
            raise ValueError(f"unknown JSON Schema dialect {default_draft!r}")
        self.default_draft = draft
        self.payload_subjects = payload_subjects
        # how payload subjects are named when a push does not say (?payloadSubjectStrategy=)
        self.payload_strategy = parse_strategy(payload_strategy, "payload_strategy")
        self.limits = limits  # bounds on a new schema's size (stored ones load unbounded)
        self.max_references = max_references  # references a new schema may list (None: any)
        self.caches = Caches(cache_size, cache_bytes)
        # what in-memory reads (schemas by id, tokens) check they are not stale against
        self.changes = Changes(store.engine)
        self.schema_ids: SchemaIds[StoredSchema] = SchemaIds(
            store.engine,
            cache_size,
            self.changes,
            max_bytes=cache_bytes,
            weigh=lambda stored: 2 * len(stored.schema) + 512,
        )
        self.stats = Stats()  # counted for /metrics

    def prepare(self) -> None:
        """What the process's first request would pay on its own and depends on no data,
        done ahead (``create_app``, before the server accepts requests): the ORM's mappers, a
        registration's reads compiled (``Store.prepare``: run for keys no row holds), the
        meta-schema validators. About 30 ms of CPU (docs/performance.md, registry §5)."""
        self.store.prepare()
        prepare_meta_validators()

    def reading(self) -> AbstractContextManager[ReadWork]:
        """A read-only unit of work."""
        return self.store.reading()

    def writing(self, *subjects: str) -> AbstractContextManager[WriteWork]:
        """A write unit of work holding the lock of each subject named."""
        return self.store.writing(*subjects)

    def changed_on_commit(self, work: WriteWork) -> None:
        """A change that in-memory reads must not outlive (a permanent delete, a token revoked):
        once ``work`` commits, nothing read before is served from memory without asking the
        database again, in this process (at once) and in the others (their watches)."""
        work.announce_change()
        work.on_commit(self.changes.changed)

    def payload_strategy_of(self, value: str | None) -> str:
        """``?payloadSubjectStrategy=`` as a strategy name (None: the registry's default);
        422 naming the parameter for an unknown one."""
        if value is None:
            return self.payload_strategy
        try:
            return parse_strategy(value, "payloadSubjectStrategy")
        except ValueError as exc:
            raise errors.MalformedRequest(f"Invalid query parameter {exc}", status=422) from None
