"""The AsyncAPI view of a document (2.0-2.6 and 3.0): channels, operations, messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evreg.contracts.asyncapi_messages import Context, MessageTable, optional_text
from evreg.contracts.asyncapi_v2 import read_v2
from evreg.contracts.asyncapi_v3 import read_v3
from evreg.contracts.errors import ContractError
from evreg.contracts.model import Channel, JSONValue, Message, Operation
from evreg.contracts.refs import RefResolver
from evreg.contracts.schemacheck import SchemaChecker

_VERSION = re.compile(r"(?P<major>2)\.[0-6]\.\d+|(?P<v3>3)\.0\.\d+")
SUPPORTED = "2.0.0-2.6.x, 3.0.x"


@dataclass(frozen=True, slots=True)
class AsyncApiView:
    version: str
    title: str | None
    channels: dict[str, Channel]
    operations: dict[str, Operation]
    messages: dict[str, Message]


def asyncapi_major(document: Mapping[str, Any]) -> int:
    """2 or 3, from the ``asyncapi`` field; ``ContractError`` for anything else."""
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
    return 3 if found.group("v3") else 2


def read_asyncapi(
    document: dict[str, Any], *, references: Mapping[str, JSONValue], check: bool = True
) -> AsyncApiView:
    """Extract the view and (unless ``check`` is false: a document checked when it was
    stored) check every payload and headers schema it uses."""
    major = asyncapi_major(document)
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
