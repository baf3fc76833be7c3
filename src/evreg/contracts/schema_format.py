"""AsyncAPI ``schemaFormat`` media types: which JSON Schema draft, Avro, or a clear refusal."""

from __future__ import annotations

from evreg.contracts.errors import ContractError
from evreg.contracts.jsonschema_doc import DRAFT_NAMES, draft_named
from evreg.contracts.model import AVRO, DRAFT2020

_ASYNCAPI: tuple[str, ...] = ("application/vnd.aai.asyncapi", "application/vnd.aai.asyncapi+json")
_ASYNCAPI += ("application/vnd.aai.asyncapi+yaml",)
_JSON_SCHEMA = ("application/schema+json", "application/schema+yaml", "application/schema")
_AVRO = (
    "application/vnd.apache.avro",
    "application/vnd.apache.avro+json",
    "application/vnd.apache.avro+yaml",
)
_KNOWN_OTHERS = {
    "application/vnd.google.protobuf": "Protobuf",
    "application/raml+yaml": "RAML",
    "application/vnd.oai.openapi": "OpenAPI",
}


def draft_for_format(schema_format: object, *, at: str) -> str:
    """The JSON Schema draft a ``schemaFormat`` stands for (2020-12 when it names no draft),
    or ``AVRO`` for an Avro schema format (``application/vnd.apache.avro;version=1.9.0``, also
    ``+json`` and ``+yaml``: an Avro schema written in JSON or YAML).

    AsyncAPI schema formats read as 2020-12 (evreg's default dialect); JSON Schema formats may
    name a draft (``application/schema+json;version=draft-07``). Anything else (Protobuf, RAML,
    OpenAPI) is refused with a ``ContractError`` at ``at`` (the pointer of the ``schemaFormat``
    field) naming the format.
    """
    if not isinstance(schema_format, str):
        raise ContractError(f"schemaFormat must be a string, not {schema_format!r}", pointer=at)
    media_type, *parameters = (part.strip() for part in schema_format.split(";"))
    media_type = media_type.lower()
    version = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "version":
            version = value.strip().strip('"')
    if media_type in _ASYNCAPI:
        return DRAFT2020
    if media_type in _AVRO:
        return AVRO
    if media_type in _JSON_SCHEMA:
        if version is None:
            return DRAFT2020
        draft = draft_named(version)
        if draft is None:
            known = ", ".join(DRAFT_NAMES.values())
            raise ContractError(
                f"schemaFormat {schema_format!r} names an unsupported JSON Schema version "
                f"(evreg reads {known})",
                pointer=at,
            )
        return draft
    family = next((n for t, n in _KNOWN_OTHERS.items() if media_type.startswith(t)), None)
    what = f"{family} schemas are" if family else "this schema format is"
    raise ContractError(
        f"schemaFormat {schema_format!r} is not JSON Schema: {what} not supported "
        "(evreg handles JSON Schema, AsyncAPI schema and Avro payloads)",
        pointer=at,
    )
