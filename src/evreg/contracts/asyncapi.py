"""The AsyncAPI view of a document (2.0-2.6, 3.0 and 3.1): channels, operations, messages.

A new document is first checked against the official JSON Schema of its version
(``asyncapi_spec``); 3.1 reads as 3.0 (it adds no breaking structure).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evreg.contracts.asyncapi_messages import Context, MessageTable, optional_text
from evreg.contracts.asyncapi_spec import check_spec
from evreg.contracts.asyncapi_v2 import read_v2
from evreg.contracts.asyncapi_v3 import read_v3
from evreg.contracts.errors import ContractError
from evreg.contracts.model import Channel, JSONValue, Message, Operation
from evreg.contracts.refs import RefResolver
from evreg.contracts.schemacheck import SchemaChecker

_VERSION = re.compile(r"(?P<spec>2\.[0-6]|(?P<v3>3)\.[01])\.\d+")
SUPPORTED = "2.0.0-2.6.x, 3.0.x, 3.1.x"


@dataclass(frozen=True, slots=True)
class AsyncApiView:
    version: str
    title: str | None
    channels: dict[str, Channel]
    operations: dict[str, Operation]
    messages: dict[str, Message]


def asyncapi_major(document: Mapping[str, Any]) -> int:
    """2 or 3, from the ``asyncapi`` field; ``ContractError`` for anything else."""
    return 3 if spec_version(document).startswith("3") else 2


def spec_version(document: Mapping[str, Any]) -> str:
    """The spec version ("2.6", "3.1") of the ``asyncapi`` field; ``ContractError`` if none."""
    version = document["asyncapi"]
    if not isinstance(version, str):
        raise ContractError(
            f"asyncapi version must be a string such as '3.0.0', not {version!r}",
            pointer="#/asyncapi",
        )
    found = _VERSION.fullmatch(version.strip())
    if found is None:
        raise ContractError(
            f"unsupported AsyncAPI version {version!r} (evreg reads {SUPPORTED})",
            pointer="#/asyncapi",
        )
    return found.group("spec")


def read_asyncapi(
    document: dict[str, Any], *, references: Mapping[str, JSONValue], check: bool = True
) -> AsyncApiView:
    """Extract the view and (unless ``check`` is false: a document checked when it was
    stored) check every payload and headers schema it uses."""
    spec = spec_version(document)
    major = 3 if spec.startswith("3") else 2
    if check:
        check_spec(document, spec)
    info = document.get("info", {})
    if not isinstance(info, dict):
        raise ContractError("info must be an object", pointer="#/info")
    refs = RefResolver(document, references=references)
    ctx = Context(
        document=document,
        refs=refs,
        references=references,
        major=major,
        default_content_type=optional_text(document, "defaultContentType", "#"),
    )
    table = MessageTable(ctx)
    table.add_components()
    channels, operations = (read_v3 if major == 3 else read_v2)(ctx, table)
    if check:
        checker = SchemaChecker(refs)
        for target, draft in table.schemas:
            checker.check(target, draft)
    return AsyncApiView(
        version=document["asyncapi"],
        title=optional_text(info, "title", "#/info"),
        channels=channels,
        operations=operations,
        messages=table.messages,
    )
