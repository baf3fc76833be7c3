"""JSON Merge Patch (RFC 7386), as AsyncAPI uses it to apply traits."""

from __future__ import annotations

from evreg.contracts.model import JSONValue


def merge_patch(target: JSONValue, patch: JSONValue) -> JSONValue:
    """Apply ``patch`` to ``target``: objects merge deeply, ``null`` deletes, the rest replaces.

    Neither argument is modified; the result shares unchanged sub-values with them.
    """
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:
            result[key] = value
    return result
