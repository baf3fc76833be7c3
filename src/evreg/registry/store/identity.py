"""A schema's identity: the fingerprint one schema id is kept per (see ``tables.SchemaRow``).

It lives in the store because migrations compute it too (0006 moves the versions of
context-qualified subjects into their contexts).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from evreg.registry.store.queries import Reference
from evreg.registry.store.tables import DEFAULT_CONTEXT

__all__ = ["DEFAULT_CONTEXT", "LEGACY_DRAFT", "identity_fingerprint"]
# the dialect every JSON Schema without $schema was read as before the registry recorded it
LEGACY_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def identity_fingerprint(
    schema_type: str,
    canonical: str,
    references: Sequence[Reference],
    *,
    metadata: str | None = None,
    rule_set: str | None = None,
    context: str = DEFAULT_CONTEXT,
    draft: str | None = None,
) -> str:
    """sha256 over type, canonical content, references and, when they differ from the
    defaults, the canonical JSON of the metadata and rule set, the context and the dialect a
    JSON Schema without ``$schema`` is read as: one schema id per value of this. A schema with
    none of those has the fingerprint it had before they existed."""
    refs = [[r.name, r.subject, r.version] for r in references]
    parts: list[Any] = [schema_type, canonical, refs]
    extra: dict[str, str] = {}
    if metadata is not None:
        extra["metadata"] = metadata
    if rule_set is not None:
        extra["ruleSet"] = rule_set
    if context != DEFAULT_CONTEXT:
        extra["context"] = context
    if draft is not None and draft != LEGACY_DRAFT:
        extra["draft"] = draft
    if extra:
        parts.append(extra)
    payload = json.dumps(parts, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
