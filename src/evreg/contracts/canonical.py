"""Canonical JSON text and the content fingerprint the registry deduplicates by.

Two documents that differ only in key order, whitespace, or YAML vs JSON spelling have the same
canonical text and so the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json

from evreg.contracts.errors import ContractError
from evreg.contracts.model import JSONValue


def canonical_json(value: JSONValue) -> str:
    """Sorted keys, no insignificant whitespace, non-ASCII kept as is."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as error:
        raise ContractError(f"not a JSON value: {error}") from None


def fingerprint_text(canonical: str) -> str:
    """sha256 hex of canonical text (lone surrogates, which JSON allows, are kept as is)."""
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(value: JSONValue) -> str:
    """sha256 hex of ``canonical_json(value)`` in UTF-8."""
    return fingerprint_text(canonical_json(value))
