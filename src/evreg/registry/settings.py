"""Registry settings, from ``EVREG_*`` environment variables (``evreg serve`` sets them).

Every value is checked when it is read: a wrong one is a :class:`SettingsError` (a ValueError)
naming the variable, the ``evreg serve`` flag that sets it, the value (a database URL without
its password) and what is wrong, so that a registry never starts half-configured.
:func:`check_environment` (what ``evreg serve`` runs before starting the server) also opens the
database once.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from evreg.contracts.limits import DEFAULT_MAX_NODES, DEFAULT_MAX_PROPERTIES
from evreg.contracts.patterns import DEFAULT_BUDGET
from evreg.registry.payloads import DEFAULT_STRATEGY, STRATEGIES
from evreg.registry.store.engine import (
    DEFAULT_URL,
    DatabaseUrlError,
    StoreRefused,
    StoreUnreachable,
    check_database_url,
    probe,
    redact,
)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # 1 MiB (Kafka's default message size is about that)
DEFAULT_MAX_REFERENCES = 1000  # references one schema may list
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds a connection may take to send a request's headers
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # estimated bytes of each in-process cache
LOG_LEVELS = ("info", "critical", "error", "warning", "debug")
# The ``evreg serve`` flags that set a variable, named in its errors.
FLAGS = {
    "EVREG_DATABASE_URL": "--database-url",
    "EVREG_LOAD_DIR": "--load",
    "EVREG_AUTH": "--auth",
    "EVREG_LOG_LEVEL": "--log-level",
}
# Every variable :meth:`Settings.from_env` reads.
NAMES = (
    "EVREG_DATABASE_URL",
    "EVREG_MAX_BODY_BYTES",
    "EVREG_MAX_PROPERTIES",
    "EVREG_MAX_SCHEMA_NODES",
    "EVREG_LOAD_DIR",
    "EVREG_CACHE_SIZE",
    "EVREG_PAYLOAD_SUBJECTS",
    "EVREG_PAYLOAD_SUBJECT_STRATEGY",
    "EVREG_AUTH",
    "EVREG_AUTH_READS",
    "EVREG_BOOTSTRAP_TOKEN",
    "EVREG_LOG_LEVEL",
    "EVREG_DB_POOL_SIZE",
    "EVREG_DB_MAX_OVERFLOW",
    "EVREG_LOG_FORMAT",
    "EVREG_DEFAULT_JSON_SCHEMA_DRAFT",
    "EVREG_PATTERN_BUDGET",
    "EVREG_MAX_REFERENCES",
    "EVREG_HEADER_TIMEOUT",
    "EVREG_CACHE_BYTES",
)
# EVREG_DEFAULT_JSON_SCHEMA_DRAFT: the first is the default (Confluent's reading)
DRAFTS = ("draft-07", "2020-12", "2019-09", "draft-06", "draft-04")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class SettingsError(ValueError):
    """A setting's value is wrong: ``NAME='value' (--flag): what is wrong``."""

    def __init__(self, name: str, value: str, problem: str) -> None:
        flag = f" ({FLAGS[name]})" if name in FLAGS else ""
        super().__init__(f"{name}={value!r}{flag}: {problem}")
        self.name = name


class DatabaseUnreachable(ConnectionError):
    """Nothing answered at ``EVREG_DATABASE_URL`` (the message has the URL, redacted)."""


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
    - ``cache_size``: ``EVREG_CACHE_SIZE``: entries in the contract and report caches;
      ``cache_bytes``: ``EVREG_CACHE_BYTES`` (64 MiB): their estimated size, each.
    - ``pattern_budget``: ``EVREG_PATTERN_BUDGET`` (200,000,000): the units (a character
      searched x an RE2 instruction) one request's regular expressions may cost; past it,
      422/42201 naming the pattern (see :mod:`evreg.contracts.patterns`).
    - ``max_references``: ``EVREG_MAX_REFERENCES`` (1,000): references one schema may list;
      more: 422/42201. ``0`` switches it off.
    - ``header_timeout``: ``EVREG_HEADER_TIMEOUT`` (10 s): a connection whose request headers
      are not complete that long after it opened (or after its last response) is closed
      (``evreg serve``'s HTTP protocol, :mod:`evreg.registry.http_protocol`).
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
    - ``default_draft``: ``EVREG_DEFAULT_JSON_SCHEMA_DRAFT`` (``draft-07``, as Confluent's
      registry reads them): the dialect of a JSON Schema registered without ``$schema``
      (``draft-04``, ``draft-06``, ``draft-07``, ``2019-09``, ``2020-12``). Each schema keeps
      the dialect it was registered under.

    An empty variable counts as unset.
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
    default_draft: str = DRAFTS[0]
    pattern_budget: int = DEFAULT_BUDGET
    max_references: int | None = DEFAULT_MAX_REFERENCES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    cache_bytes: int = DEFAULT_CACHE_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default ``os.environ``); a wrong value: SettingsError."""
        env = os.environ if environ is None else environ
        cache_size = _whole(env, "EVREG_CACHE_SIZE", 0)
        return cls(
            database_url=_database_url(env),
            max_body_bytes=_whole(env, "EVREG_MAX_BODY_BYTES", 1) or DEFAULT_MAX_BODY_BYTES,
            max_properties=_bound(env, "EVREG_MAX_PROPERTIES", DEFAULT_MAX_PROPERTIES),
            max_nodes=_bound(env, "EVREG_MAX_SCHEMA_NODES", DEFAULT_MAX_NODES),
            load_dir=env.get("EVREG_LOAD_DIR") or None,
            cache_size=4096 if cache_size is None else cache_size,
            payload_subjects=_flag(env, "EVREG_PAYLOAD_SUBJECTS"),
            payload_strategy=_choice(env, "EVREG_PAYLOAD_SUBJECT_STRATEGY", STRATEGIES),
            auth=_choice(env, "EVREG_AUTH", ("auto", "required")),
            auth_reads=_choice(env, "EVREG_AUTH_READS", ("open", "token")),
            bootstrap_token=_secret(env, "EVREG_BOOTSTRAP_TOKEN"),
            log_level=_choice(env, "EVREG_LOG_LEVEL", LOG_LEVELS).upper(),
            pool_size=_whole(env, "EVREG_DB_POOL_SIZE", 1),
            max_overflow=_whole(env, "EVREG_DB_MAX_OVERFLOW", 0),
            log_format=_choice(env, "EVREG_LOG_FORMAT", ("json", "text")),
            default_draft=_choice(env, "EVREG_DEFAULT_JSON_SCHEMA_DRAFT", DRAFTS),
            pattern_budget=_whole(env, "EVREG_PATTERN_BUDGET", 1) or DEFAULT_BUDGET,
            max_references=_bound(env, "EVREG_MAX_REFERENCES", DEFAULT_MAX_REFERENCES),
            header_timeout=header_timeout_from_env(env),
            cache_bytes=_whole(env, "EVREG_CACHE_BYTES", 1) or DEFAULT_CACHE_BYTES,
        )


def header_timeout_from_env(environ: Mapping[str, str] | None = None) -> float:
    """``EVREG_HEADER_TIMEOUT`` in seconds (default 10); more than 0."""
    env = os.environ if environ is None else environ
    raw = (env.get("EVREG_HEADER_TIMEOUT") or "").strip()
    if not raw:
        return DEFAULT_HEADER_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise SettingsError("EVREG_HEADER_TIMEOUT", raw, "expected a number of seconds over 0")
    return value


MIN_SECRET = 32  # characters of a token set by the operator (evreg's own have 49)


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A token the operator sets: at least ``MIN_SECRET`` characters, no white space; the
    error never shows the value."""
    value = env.get(name) or None
    if value is None:
        return None
    if len(value) < MIN_SECRET or any(c.isspace() for c in value):
        raise SettingsError(
            name,
            "***",
            f"an admin token needs at least {MIN_SECRET} characters and no white space "
            "(`evreg token create` makes one; or: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')",
        )
    return value


def check_environment(
    environ: Mapping[str, str] | None = None, *, also_known: Iterable[str] = ()
) -> list[str]:
    """Check the settings :meth:`Settings.from_env` reads, and open the database once (an
    absent SQLite file is created, as the registry would); return warnings: ``EVREG_*``
    variables, neither read here nor in ``also_known``, whose names look like a misspelt
    setting (``EVREG_POOL_SIZE``: did you mean ``EVREG_DB_POOL_SIZE``?).

    Raises :class:`SettingsError` (a ValueError) for a wrong value, a database that refuses the
    connection (unknown database, wrong password) or a SQLite file that cannot be used, and
    :class:`DatabaseUnreachable` (a ConnectionError) when nothing answers.
    """
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    if settings.load_dir is not None and not Path(settings.load_dir).is_dir():
        raise SettingsError("EVREG_LOAD_DIR", settings.load_dir, "not a directory")
    shown = redact(settings.database_url)
    try:
        probe(settings.database_url)
    except StoreUnreachable as exc:
        raise DatabaseUnreachable(
            f"EVREG_DATABASE_URL ({FLAGS['EVREG_DATABASE_URL']}): the database {shown} is "
            f"unreachable: {exc}"
        ) from None
    except StoreRefused as exc:
        raise SettingsError(
            "EVREG_DATABASE_URL", shown, f"cannot open the database: {exc}"
        ) from None
    return _misspelt(env, set(NAMES).union(also_known))


def _misspelt(env: Mapping[str, str], known: set[str]) -> list[str]:
    warnings = []
    for name in sorted(n for n in env if n.startswith("EVREG_") and n not in known):
        close = difflib.get_close_matches(name, NAMES, n=1, cutoff=0.8)
        if close:
            warnings.append(
                f"{name} is not a registry setting and is ignored; did you mean {close[0]}?"
            )
    return warnings


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("EVREG_DATABASE_URL") or DEFAULT_URL
    try:
        return check_database_url(url)
    except DatabaseUrlError as exc:
        raise SettingsError("EVREG_DATABASE_URL", redact(url), str(exc)) from None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise SettingsError(name, value, f"choose from {', '.join(choices)}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "true").strip().lower()
    if value not in _TRUE + _FALSE:
        raise SettingsError(name, value, "expected true or false (also 1/0, yes/no, on/off)")
    return value in _TRUE


def _whole(env: Mapping[str, str], name: str, least: int) -> int | None:
    """A whole number of at least ``least``; unset: None."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = least - 1
    if value < least:
        raise SettingsError(name, raw, f"expected a whole number, {least} or more")
    return value


def _bound(env: Mapping[str, str], name: str, default: int) -> int | None:
    """A size bound: unset -> ``default``; ``0`` -> none; a negative or non-integer: an error."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingsError(name, raw, "expected a whole number (0 for no limit)")
    return value or None
