"""AsyncAPI payloads as standalone JSON Schemas, one per channel: ``<channel address>-value``.

A payload sits inside an AsyncAPI document and its ``$ref``s point into that document
(``#/components/schemas/Order``). To register it as a JSON subject that Kafka serializers can use,
every local ``$ref`` it reaches is copied under ``$defs`` (``definitions`` before 2019-09) and the
``$ref`` rewritten to point there. A channel that carries several messages gets an ``anyOf`` of
their payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evreg.contracts import Contract
from evreg.contracts.bundle import standalone

SUBJECT_SUFFIX = "-value"


@dataclass(frozen=True, slots=True)
class PayloadSubject:
    subject: str
    channel: str
    messages: tuple[str, ...]
    schema: dict[str, Any]


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
        names = [m for m in sent[key] if m in contract.messages]
        refs = [p for p in (contract.messages[m].payload for m in names) if p is not None]
        if not refs:
            continue
        out.append(
            PayloadSubject(
                subject=f"{channel.address}{SUBJECT_SUFFIX}",
                channel=key,
                messages=tuple(names),
                schema=standalone(refs),
            )
        )
    return out
