"""What a subject's search matches, taken from its latest schema (pure: text in, text out).

The search text holds the subject name and, from the schema document, every string under a
naming or prose key (``title``, ``name``, ``address``, ``messageId``, ``operationId``, ``$id``,
``summary``, ``description``) and the keys of the named maps (properties, messages, channels,
operations, schema definitions), one per line, case-folded with ``str.casefold()``. A search
case-folds the query the same way and matches it as a substring, so "STRASSE" finds "Straße"
on SQLite and PostgreSQL alike (SQLite's ``lower()`` folds ASCII only).
"""

from __future__ import annotations

import json
from typing import Any

VALUE_KEYS = frozenset(
    ("title", "name", "address", "messageId", "operationId", "$id", "summary", "description")
)
NAMED_MAPS = frozenset(
    (
        "properties",
        "patternProperties",
        "messages",
        "channels",
        "operations",
        "schemas",
        "$defs",
        "definitions",
    )
)


def parse(canonical: str) -> Any:
    """The schema document, or None when the text is not JSON."""
    try:
        return json.loads(canonical)
    except ValueError:
        return None


def title_of(schema_type: str, document: Any) -> str | None:
    """``info.title`` of an AsyncAPI document, ``title`` of a JSON Schema, the full name of an
    Avro named type."""
    if not isinstance(document, dict):
        return None
    if schema_type == "AVRO":
        name, space = document.get("name"), document.get("namespace")
        if isinstance(name, str) and isinstance(space, str) and space and "." not in name:
            return f"{space}.{name}"
        return name if isinstance(name, str) else None
    if schema_type == "ASYNCAPI":
        info = document.get("info")
        title = info.get("title") if isinstance(info, dict) else None
    else:
        title = document.get("title")
    return title if isinstance(title, str) else None


def search_text(subject: str, document: Any) -> str:
    """The case-folded text a search for this subject matches against."""
    parts = [subject]
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if isinstance(value, str):
                if key in VALUE_KEYS:
                    parts.append(value)
            elif isinstance(value, dict | list):
                if key in NAMED_MAPS and isinstance(value, dict):
                    parts.extend(str(name) for name in value)
                stack.append(value)
    return "\n".join(dict.fromkeys(part.casefold() for part in parts))


def fold(query: str) -> str:
    """The query as a search matches it: stripped and case-folded."""
    return query.strip().casefold()


def like_contains(folded: str) -> str:
    """A ``LIKE`` pattern (escape character ``\\``) for text containing ``folded`` literally."""
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
