"""Load contract text or dicts into the typed model (stub: being written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evreg.contracts.model import Contract


def load_contract(
    source: str | bytes | Mapping[str, Any] | bool | Contract,
    *,
    name: str | None = None,
    references: Mapping[str, Any] | None = None,
) -> Contract:
    """Load a JSON Schema or AsyncAPI contract from YAML/JSON text or a parsed value.

    ``name`` is the file name (or ``<input>``) used in error locations. ``references`` maps
    the names used in external ``$ref``s (``common.json``, ``https://x/y.json``) to documents
    (text or parsed); nothing else is ever fetched.
    """
    raise NotImplementedError
