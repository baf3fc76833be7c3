"""Registry settings, from ``EVREG_*`` environment variables (``evreg serve`` sets them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from evreg.contracts.limits import DEFAULT_MAX_NODES, DEFAULT_MAX_PROPERTIES
from evreg.registry.payloads import DEFAULT_STRATEGY, STRATEGIES
from evreg.registry.store import DEFAULT_URL

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    """How one registry process runs.

    - ``database_url``: ``EVREG_DATABASE_URL`` (``sqlite:///./evreg.db``; PostgreSQL as
      ``postgresql+psycopg://user:pass@host:5432/db``).
    - ``max_body_bytes``: ``EVREG_MAX_BODY_BYTES``: larger request bodies get 413/42209.
    - ``max_properties``: ``EVREG_MAX_PROPERTIES`` (10,000): names one ``properties`` object of a
      new schema may declare; ``max_nodes``: ``EVREG_MAX_SCHEMA_NODES`` (200,000): JSON objects
      in a new schema. Over either: 422/42201 with the JSON Pointer. ``0`` switches one off.
    - ``load_dir``: ``EVREG_LOAD_DIR``: push every contract in this folder at start.
    - ``cache_size``: ``EVREG_CACHE_SIZE``: entries in the contract and report caches.
    - ``payload_subjects``: ``EVREG_PAYLOAD_SUBJECTS`` (``true``): pushing an AsyncAPI contract
      also registers each sent payload as a JSON subject;
      ``payload_strategy``: ``EVREG_PAYLOAD_SUBJECT_STRATEGY`` (``topic-name``): how those are
      named when a push does not say: ``topic-name`` (``<channel address>-value``),
      ``record-name`` or ``topic-record-name`` (see :mod:`evreg.registry.payloads`).
    - ``auth``: ``EVREG_AUTH``: ``auto`` (writes open until an admin token exists) or
      ``required``; ``auth_reads``: ``EVREG_AUTH_READS``: ``open`` or ``token``.
    - ``bootstrap_token``: ``EVREG_BOOTSTRAP_TOKEN``: stored as an admin token at start.
    - ``pool_size``, ``max_overflow``: ``EVREG_DB_POOL_SIZE``, ``EVREG_DB_MAX_OVERFLOW``: the
      database connection pool of this process (SQLAlchemy's defaults, 5 and 10, when unset).
    - ``log_level``, ``log_format``: ``EVREG_LOG_LEVEL`` (``info``), ``EVREG_LOG_FORMAT``
      (``json`` or ``text``).
    """

    database_url: str = DEFAULT_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_properties: int | None = DEFAULT_MAX_PROPERTIES
    max_nodes: int | None = DEFAULT_MAX_NODES
    load_dir: str | None = None
    cache_size: int = 4096
    payload_subjects: bool = True
    payload_strategy: str = DEFAULT_STRATEGY
    auth: str = "auto"
    auth_reads: str = "open"
    bootstrap_token: str | None = None
    log_level: str = "INFO"
    pool_size: int | None = None
    max_overflow: int | None = None
    log_format: str = "json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("EVREG_DATABASE_URL") or DEFAULT_URL,
            max_body_bytes=int(env.get("EVREG_MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES),
            max_properties=_bound(env, "EVREG_MAX_PROPERTIES", DEFAULT_MAX_PROPERTIES),
            max_nodes=_bound(env, "EVREG_MAX_SCHEMA_NODES", DEFAULT_MAX_NODES),
            load_dir=env.get("EVREG_LOAD_DIR") or None,
            cache_size=int(env.get("EVREG_CACHE_SIZE") or 4096),
            payload_subjects=(env.get("EVREG_PAYLOAD_SUBJECTS") or "true").lower()
            not in ("0", "false", "no", "off"),
            payload_strategy=_choice(env, "EVREG_PAYLOAD_SUBJECT_STRATEGY", STRATEGIES),
            auth=_choice(env, "EVREG_AUTH", ("auto", "required")),
            auth_reads=_choice(env, "EVREG_AUTH_READS", ("open", "token")),
            bootstrap_token=env.get("EVREG_BOOTSTRAP_TOKEN") or None,
            log_level=(env.get("EVREG_LOG_LEVEL") or "INFO").upper(),
            pool_size=_int_or_none(env.get("EVREG_DB_POOL_SIZE")),
            max_overflow=_int_or_none(env.get("EVREG_DB_MAX_OVERFLOW")),
            log_format=_choice(env, "EVREG_LOG_FORMAT", ("json", "text")),
        )


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise ValueError(f"{name}={value!r}: choose from {', '.join(choices)}")
    return value


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _bound(env: Mapping[str, str], name: str, default: int) -> int | None:
    """A size bound: unset -> ``default``; ``0`` -> none; a negative or non-integer: an error."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number (0 for no limit)") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r}: expected a whole number (0 for no limit)")
    return value or None
