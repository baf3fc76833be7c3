"""What the OpenAPI document says the server accepts, for the parameters many routes share.

The routes take ``subject`` and ``version`` as plain strings and check them themselves, with
Confluent's error codes (42208 for a subject, 42202 for a version), which FastAPI's own
validation would replace by a bare 422. So the document is completed here instead, in one
table, by parameter name: a client (or schemathesis) reading it learns that a version is
``latest``, ``-1`` or 1..2^31-1, that a subject name holds no control character, and which
values ``level``, ``policy`` and ``payloadSubjectStrategy`` take.
"""

from __future__ import annotations

from typing import Any, Final

from evreg.contracts.compat.rules.levels import Level, Policy
from evreg.registry.api.errors import error_responses
from evreg.registry.flow.endpoints import APPLICATION_PATTERN, MAX_APPLICATION
from evreg.registry.payloads import STRATEGIES
from evreg.registry.values import MAX_SUBJECT_BYTES

__all__ = ["describe_inputs"]

# 1..2^31-1 digit by digit (tests/unit/test_openapi_inputs.py checks it against the numbers),
# optionally written as a JSON number with a zero fraction ("12.0"), as parse_version reads it
_UP_TO_INT32 = (
    "[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    "|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]"
    "|214748364[0-7]"
)
VERSION: Final = {
    "type": "string",
    "pattern": f"^(latest|(-1|{_UP_TO_INT32})(\\.0+)?)$",
    "description": "latest, -1 (latest) or a version number from 1 to 2^31-1",
}
SUBJECT: Final = {
    "type": "string",
    "pattern": "^[^\\u0000-\\u001F]*[^\\s\\u0000-\\u001F][^\\u0000-\\u001F]*$",
    "description": f"not blank, no control characters; a new one at most {MAX_SUBJECT_BYTES} "
    "bytes of UTF-8 (reads take any length)",
}
# The writes that create what a subject name names refuse control characters (42208); reads
# take any name (a name that cannot exist is 404), so only these say so.
NAMING_WRITES: Final = frozenset(
    {
        ("post", "/subjects/{subject}/versions"),
        ("put", "/config/{subject}"),
        ("put", "/mode/{subject}"),
        ("put", "/api/config/consumer-checks/{subject}"),
    }
)
_BY_NAME: Final[dict[tuple[str, str], dict[str, Any]]] = {
    ("path", "version"): VERSION,
    ("query", "from"): VERSION,
    ("query", "to"): VERSION,
    ("query", "level"): {"type": "string", "enum": [level.value for level in Level]},
    ("query", "policy"): {"type": "string", "enum": [policy.value for policy in Policy]},
    ("query", "payloadSubjectStrategy"): {"type": "string", "enum": list(STRATEGIES)},
    ("query", "application"): {
        "type": "string",
        "pattern": APPLICATION_PATTERN,
        "description": f"1 to {MAX_APPLICATION} characters, no control characters (surrounding "
        "blanks dropped)",
    },
}


def describe_inputs(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (FastAPI's OpenAPI) with the shared parameters described (in place), and
    every 422 in the registry's error body: FastAPI documents its own (``HTTPValidationError``,
    ``application/json`` only) on a route that declares none, but a bad parameter gets the
    registry's body in the content type the client asked for (``api/errors.py``)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            invalid = (
                operation.get("responses", {}).get("422") if isinstance(operation, dict) else None
            )
            if invalid is not None and "HTTPValidationError" in str(invalid.get("content")):
                operation["responses"]["422"] = error_responses(422)[422]
            for parameter in operation.get("parameters", ()) if isinstance(operation, dict) else ():
                key = (parameter.get("in"), parameter.get("name"))
                shape = _BY_NAME.get(key)
                if key == ("path", "subject") and (method, path) in NAMING_WRITES:
                    shape = SUBJECT
                if shape is not None:
                    description = parameter.get("schema", {}).get("description")
                    parameter["schema"] = dict(shape)
                    if description:
                        parameter["schema"]["description"] = description
    return document
