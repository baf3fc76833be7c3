"""Payload formats: what evreg does with a payload schema, whatever language it is written in.

A ``SchemaRef`` is JSON Schema (its ``draft`` a dialect URI) or Avro (its ``draft`` ``AVRO``).
``format_of(ref)`` gives its ``PayloadFormat``, the one place that knows which: its registry
schema type, its canonical form, whether a value is one of its values, the JSON Schema of its
values (what code generation and the UI's property tables read), and how two schemas of the
format are compared (the compatibility engine's diff for it). Callers never test the draft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from evreg.contracts.canonical import canonical_json
from evreg.contracts.model import AVRO, SchemaRef

if TYPE_CHECKING:
    from evreg.contracts.avro.schema import AvroSchema

__all__ = ["AVRO_FORMAT", "JSON_SCHEMA", "PayloadFormat", "format_of"]


class PayloadFormat(Protocol):
    name: str  # "jsonschema" or "avro"
    schema_type: str  # the registry's schemaType of a subject holding it: "JSON" or "AVRO"

    def parse(self, ref: SchemaRef) -> Any:
        """The schema as the format's own code reads it (JSON Schema: the node itself; Avro:
        an ``AvroSchema``); a ``ContractError`` at its pointer when it is not one."""
        ...

    def canonical_form(self, ref: SchemaRef) -> str:
        """The text two equal schemas share (what identity and caches key on)."""
        ...

    def validate(self, ref: SchemaRef, value: Any) -> list[str]:
        """Why ``value`` is not a value of the schema; [] when it is."""
        ...

    def as_json_schema(self, ref: SchemaRef, at: str = "#") -> Any:
        """The JSON Schema of the schema's values, to be placed at ``at``."""
        ...


class _JsonSchema:
    name = "jsonschema"
    schema_type = "JSON"

    def parse(self, ref: SchemaRef) -> Any:
        return ref.schema  # checked by the loader (meta-schema, every $ref)

    def canonical_form(self, ref: SchemaRef) -> str:
        return canonical_json(ref.schema)

    def validate(self, ref: SchemaRef, value: Any) -> list[str]:
        from jsonschema.validators import validator_for

        from evreg.contracts.bundle import standalone
        from evreg.contracts.pattern_validators import bounded

        schema = standalone([ref])
        cls = bounded(validator_for(schema))
        return [error.message for error in cls(schema).iter_errors(value)]

    def as_json_schema(self, ref: SchemaRef, at: str = "#") -> Any:
        return ref.schema


class _Avro:
    name = "avro"
    schema_type = "AVRO"

    def parse(self, ref: SchemaRef) -> Any:
        return _parsed(ref)

    def canonical_form(self, ref: SchemaRef) -> str:
        return _parsed(ref).canonical_form

    def validate(self, ref: SchemaRef, value: Any) -> list[str]:
        return _parsed(ref).validate(value)

    def as_json_schema(self, ref: SchemaRef, at: str = "#") -> Any:
        from evreg.contracts.avro.json_schema import to_json_schema

        return to_json_schema(_parsed(ref), at)


def _parsed(ref: SchemaRef) -> AvroSchema:
    from evreg.contracts.avro import parse_avro  # fastavro is imported only for Avro

    # an Avro contract's references define named types; an AsyncAPI document's are not Avro
    refs = list(ref.resources.values()) if ref.document is ref.schema else []
    return parse_avro(ref.schema, references=refs, at=ref.pointer, check=False)


JSON_SCHEMA: PayloadFormat = _JsonSchema()
AVRO_FORMAT: PayloadFormat = _Avro()


def format_of(ref: SchemaRef) -> PayloadFormat:
    """The format a payload schema is written in."""
    return AVRO_FORMAT if ref.draft == AVRO else JSON_SCHEMA
