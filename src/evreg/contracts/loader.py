"""Load contract text or dicts into the typed model.

A document with an ``asyncapi`` key is an AsyncAPI document (2.0-2.6, 3.0, 3.1); anything else
is a JSON Schema (draft-04, -06, -07, 2019-09, 2020-12 from ``$schema``, default 2020-12), unless
the caller says it is an Avro schema (``kind=ContractKind.AVRO``: nothing in an Avro schema's
text tells it apart from JSON). Every problem is a ``ContractError`` naming the source and a
line/column or a JSON pointer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evreg.contracts.asyncapi import read_asyncapi
from evreg.contracts.canonical import canonical_json, fingerprint_text
from evreg.contracts.errors import ContractError
from evreg.contracts.jsonschema_doc import detect_draft
from evreg.contracts.limits import DEFAULT_LIMITS, Limits, check_limits
from evreg.contracts.model import AVRO, DRAFT2020, Contract, ContractKind, JSONValue, SchemaRef
from evreg.contracts.parse import Syntax, parse_text, syntax_of
from evreg.contracts.refs import RefResolver
from evreg.contracts.schemacheck import SchemaChecker
from evreg.contracts.values import MAX_DEPTH, to_json_value


def load_contract(
    source: str | bytes | Mapping[str, Any] | bool | Contract,
    *,
    name: str | None = None,
    references: Mapping[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    default_draft: str = DRAFT2020,
    syntax: Syntax | None = None,
    kind: ContractKind | None = None,
) -> Contract:
    """Load a JSON Schema or AsyncAPI contract from YAML/JSON text or a parsed value.

    ``name`` is the file name (or ``<input>``) used in error locations. ``references`` maps
    the names used in external ``$ref``s (``common.json``, ``https://x/y.json``) to documents
    (text, parsed, or loaded contracts); nothing else is ever fetched. ``limits`` bounds the
    size of the document and of each reference (``evreg.contracts.limits``).
    ``default_draft`` is the dialect of a JSON Schema without ``$schema`` (2020-12; the
    Confluent registry reads such schemas as draft-07). ``syntax`` is the text's (``json``:
    strict JSON, as for a ``.json`` file; see ``evreg.contracts.parse``); referenced texts take
    theirs from their names' suffixes.
    ``kind``: ``ContractKind.AVRO`` reads an Avro schema (its ``references`` define named
    types it may use); otherwise the document says what it is.
    """
    if isinstance(source, Contract):
        return source
    where = name or "<input>"
    try:
        document = read_value(source, syntax, avro=kind is ContractKind.AVRO)
        check_limits(document, limits)
        resources = {
            key: _reference(key, value, limits) for key, value in (references or {}).items()
        }
        if kind is ContractKind.AVRO:
            return _avro(document, resources, name)
        return _contract(document, resources, name, default_draft=default_draft)
    except ContractError as error:
        raise (error if error.source else error.with_source(where)) from None
    except RecursionError:
        message = f"document is nested more than {MAX_DEPTH} levels deep"
        raise ContractError(message, source=where) from None


def load_stored(
    canonical: str,
    *,
    name: str | None = None,
    references: Mapping[str, Any] | None = None,
    default_draft: str = DRAFT2020,
    kind: ContractKind | None = None,
) -> Contract:
    """Load a contract from text that :func:`load_contract` accepted before and that was kept
    as its ``canonical`` text (a registry's stored schema), with its references as they were.

    What new input must pass (text checks, nesting depth, size limits, meta-schema and
    ``$ref`` checks) was passed when the text was stored, so it is not done again: the text is
    parsed as plain JSON and is its own canonical form. The contract is the one
    :func:`load_contract` gives for that text (with the same ``default_draft``). Never use
    this for input from outside.
    """
    where = name or "<input>"
    try:
        document = json.loads(canonical)
        resources = {
            key: value.document if isinstance(value, Contract) else _stored(key, value)
            for key, value in (references or {}).items()
        }
        if kind is ContractKind.AVRO:
            return _avro(document, resources, name, canonical=canonical, check=False)
        return _contract(
            document,
            resources,
            name,
            canonical=canonical,
            check=False,
            default_draft=default_draft,
        )
    except ContractError as error:
        raise (error if error.source else error.with_source(where)) from None
    except (ValueError, RecursionError) as error:  # not what load_contract wrote
        raise ContractError(f"stored text is not a contract: {error}", source=where) from None


def _stored(key: str, value: Any) -> JSONValue:
    if isinstance(value, str | bytes):
        parsed: JSONValue = json.loads(value)
        return parsed
    return value


def read_value(source: object, syntax: Syntax | None = None, *, avro: bool = False) -> JSONValue:
    """Text, bytes or a parsed value -> a checked JSON value (without a source name on errors).

    ``avro``: a parsed Avro schema may also be a union (a list)."""
    if isinstance(source, str | bytes):
        return parse_text(source, syntax)
    if isinstance(source, bool | Mapping) or (avro and isinstance(source, list)):
        return to_json_value(source)
    raise ContractError(f"cannot load a {type(source).__name__}: pass text, bytes or a dict")


def _reference(key: object, value: object, limits: Limits) -> JSONValue:
    if not isinstance(key, str):
        raise ContractError(f"reference names must be strings, not {key!r}")
    try:
        syntax = syntax_of(key)
        document = value.document if isinstance(value, Contract) else read_value(value, syntax)
        check_limits(document, limits)
        return document
    except ContractError as error:
        raise error.with_source(key) from None


def _avro(
    document: JSONValue,
    resources: dict[str, JSONValue],
    name: str | None,
    *,
    canonical: str | None = None,
    check: bool = True,
) -> Contract:
    """An Avro schema (checked by fastavro) as a contract; ``resources`` define named types."""
    from evreg.contracts.avro import parse_avro  # fastavro is imported only for Avro

    schema = parse_avro(document, references=list(resources.values()), check=check)
    if canonical is None:
        canonical = canonical_json(document)
    root = schema.root()
    return Contract(
        kind=ContractKind.AVRO,
        document=document,
        version=AVRO,
        canonical=canonical,
        fingerprint=fingerprint_text(canonical),
        source=name,
        title=root.fullname,
        schema=SchemaRef(
            schema=document, pointer="#", document=document, draft=AVRO, resources=resources
        ),
        resources=resources,
    )


def _contract(
    document: JSONValue,
    resources: dict[str, JSONValue],
    name: str | None,
    *,
    canonical: str | None = None,
    check: bool = True,
    default_draft: str = DRAFT2020,
) -> Contract:
    if canonical is None:
        canonical = canonical_json(document)
    common: dict[str, Any] = {
        "document": document,
        "canonical": canonical,
        "fingerprint": fingerprint_text(canonical),
        "source": name,
        "resources": resources,
    }
    if isinstance(document, dict) and "asyncapi" in document:
        view = read_asyncapi(document, references=resources, check=check)
        return Contract(
            kind=ContractKind.ASYNCAPI,
            version=view.version,
            title=view.title,
            channels=view.channels,
            operations=view.operations,
            messages=view.messages,
            **common,
        )
    if not isinstance(document, dict | bool):
        raise ContractError(
            "the top level must be an object (or true/false for a JSON Schema), "
            f"not a {type(document).__name__}",
            pointer="#",
        )
    draft = detect_draft(document, default=default_draft)
    if check:
        refs = RefResolver(document, references=resources, draft=draft)
        SchemaChecker(refs).check(refs.root, draft, canonical=canonical)
    title = document.get("title") if isinstance(document, dict) else None
    return Contract(
        kind=ContractKind.JSON,
        version=draft,
        title=title if isinstance(title, str) else None,
        schema=SchemaRef(
            schema=document, pointer="#", document=document, draft=draft, resources=resources
        ),
        **common,
    )
