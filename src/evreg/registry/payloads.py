"""AsyncAPI payloads as standalone JSON Schemas, one per channel: ``<channel address>-value``.

A payload sits inside an AsyncAPI document and its ``$ref``s point into that document
(``#/components/schemas/Order``). To register it as a JSON subject that Kafka serializers can use,
every local ``$ref`` it reaches is copied under ``$defs`` (``definitions`` before 2019-09) and the
``$ref`` rewritten to point there. A channel that carries several messages gets an ``anyOf`` of
their payloads.

The same derivation serves registering and checking (``POST /api/subjects/{s}/check``), and
:func:`contract_path` maps a finding's pointer in a payload subject back into the contract, so
that a finding names the line of the contract file where the changed node sits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evreg.contracts import Contract
from evreg.contracts.bundle import standalone

SUBJECT_SUFFIX = "-value"
_BRANCH = re.compile(r"^#/anyOf/(?P<index>\d+)(?P<rest>/.*)?$")


@dataclass(frozen=True, slots=True)
class PayloadSubject:
    subject: str
    channel: str
    messages: tuple[str, ...]
    schema: dict[str, Any]
    # (message, where its payload sits in the contract), one per payload in ``anyOf`` order
    sources: tuple[tuple[str, str], ...] = ()


def payload_subjects(contract: Contract) -> list[PayloadSubject]:
    """``<address>-value`` for each channel the contract's application *sends* on.

    Only the producing side defines what flows on a channel: a consumer's view of someone
    else's channel is not registered (it would become a bogus new version of the producer's
    subject).
    """
    sent: dict[str, list[str]] = {}
    for operation in contract.operations.values():
        if operation.action != "send":
            continue
        names = sent.setdefault(operation.channel, [])
        channel = contract.channels.get(operation.channel)
        candidates = operation.messages or (channel.messages if channel else ())
        for name in candidates:
            if name not in names:
                names.append(name)
    out: list[PayloadSubject] = []
    for key in sorted(sent):
        channel = contract.channels.get(key)
        if channel is None or not channel.address:
            continue
        carried = [
            (m, payload)
            for m in sent[key]
            if m in contract.messages and (payload := contract.messages[m].payload) is not None
        ]
        if not carried:
            continue
        out.append(
            PayloadSubject(
                subject=f"{channel.address}{SUBJECT_SUFFIX}",
                channel=key,
                messages=tuple(m for m in sent[key] if m in contract.messages),
                schema=standalone([payload for _, payload in carried]),
                sources=tuple((m, payload.pointer) for m, payload in carried),
            )
        )
    return out


def contract_path(item: PayloadSubject, path: str) -> tuple[str, str | None]:
    """A JSON Pointer into the payload subject's schema as one into the contract, and the
    message it is about (None when it is about the channel).

    Findings follow ``$ref``s, so a path below the root of a single payload continues from where
    that payload sits (``#/properties/total`` -> ``#/components/messages/OrderPlaced/payload/
    properties/total``); with several messages, ``#/anyOf/N/...`` continues from message N's
    payload. What names no single payload (the ``anyOf`` itself) is the channel.
    """
    rest = path.removeprefix("#")
    if rest == "/":  # the root, as some findings name it
        rest = ""
    if len(item.sources) == 1:
        message, pointer = item.sources[0]
        return pointer + rest, message
    branch = _BRANCH.match("#" + rest)
    if branch is not None and int(branch["index"]) < len(item.sources):
        message, pointer = item.sources[int(branch["index"])]
        return pointer + (branch["rest"] or ""), message
    return "#/channels/" + item.channel.replace("~", "~0").replace("/", "~1"), None
