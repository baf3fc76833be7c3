"""The wire conventions every evreg runtime follows (Python here, TypeScript in the generated
TypeScript runtime): header names, the name of each (group, channel) subscription, dead-letter
places and headers. One module, so a peer implementation has one place to read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

# headers every producer writes beside the ones the contract declares
CONTENT_TYPE = "content-type"
SCHEMA_ID = "evreg-schema-id"
MESSAGE = "evreg-message"
TRACEPARENT = "traceparent"

# headers a dead letter carries beside the original ones
DEAD_REASON = "evreg-dead-letter-reason"
DEAD_ERROR = "evreg-dead-letter-error"
DEAD_OPERATION = "evreg-dead-letter-operation"
DEAD_SUBJECT = "evreg-dead-letter-subject"
DEAD_GROUP = "evreg-dead-letter-group"
DEAD_ATTEMPTS = "evreg-dead-letter-attempts"
DEAD_AT = "evreg-dead-letter-at"
MAX_ERROR_TEXT = 2000

DeadReason = Literal["invalid", "handler-failed"]

GROUP = re.compile(r"[A-Za-z0-9_-]+")
MAX_NAME = 200
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def now() -> str:
    """The current time, UTC, RFC 3339 with ``Z``."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def check_group(group: str) -> str:
    """``group`` if it is a valid group name (``[A-Za-z0-9_-]+``), else ``ValueError``."""
    if not GROUP.fullmatch(group):
        raise ValueError(f"group {group!r}: use letters, digits, '_' and '-' only")
    return group


def slug(address: str) -> str:
    """Each run of characters outside ``[A-Za-z0-9_-]`` as one ``-``, ends stripped."""
    return _NOT_NAME.sub("-", address).strip("-") or "-"


def subscription_name(group: str, address: str) -> str:
    """The queue / durable consumer / Kafka group shared by ``group``'s members on ``address``.

    ``<group>__<slug(address)>``; over 200 characters, its first 191 characters, ``-`` and the
    first 8 hex digits of the SHA-256 of the whole name.
    """
    name = f"{check_group(group)}__{slug(address)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}-{digest}"


def dead_letter_headers(
    original: Mapping[str, str],
    *,
    reason: DeadReason,
    error: BaseException,
    operation: str,
    subject: str,
    group: str | None,
    attempt: int,
) -> dict[str, str]:
    """The original headers plus the ``evreg-dead-letter-*`` ones."""
    text = f"{type(error).__name__}: {error}"
    return {
        **original,
        DEAD_REASON: reason,
        DEAD_ERROR: text[:MAX_ERROR_TEXT],
        DEAD_OPERATION: operation,
        DEAD_SUBJECT: subject,
        DEAD_GROUP: group or "",
        DEAD_ATTEMPTS: str(attempt),
        DEAD_AT: now(),
    }


def replay(letter: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Where a dead letter came from and its original headers (the ``evreg-dead-letter-*``
    ones and a broker's own ``x-*``/``Nats-*`` ones taken off): publish its body there with
    them to replay it. ``ValueError`` when the headers are not a dead letter's."""
    subject = letter.get(DEAD_SUBJECT)
    if not subject:
        raise ValueError(f"not a dead letter: no {DEAD_SUBJECT} header")
    own = ("evreg-dead-letter-", "x-death", "x-first-death", "x-last-death", "nats-")
    return subject, {k: v for k, v in letter.items() if not k.lower().startswith(own)}


def dead_letter_subject(prefix: str, group: str | None, subject: str, separator: str = ".") -> str:
    """``<prefix><sep><group><sep><subject>`` (``_`` standing for no group)."""
    return separator.join((prefix, group or "_", subject))


def _pointer_value(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


def key_from(expression: str, body: bytes, headers: Mapping[str, str]) -> str | None:
    """The value a runtime expression (``$message.payload#/a/b``, ``$message.header#/h``)
    points at in a message, as a string; ``None`` when it points at nothing."""
    where, _, pointer = expression.partition("#")
    if where == "$message.header":
        value: Any = _pointer_value(dict(headers), pointer)
    elif where == "$message.payload":
        value = _pointer_value(json.loads(body), pointer)
    else:
        raise ValueError(f"key {expression!r}: not $message.payload#... or $message.header#...")
    return (
        None
        if value is None
        else (value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))
    )
