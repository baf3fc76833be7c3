"""Consumer-aware checks: can each receiver on a channel read every message a sender there
may send (payload, and headers where the receiver declares them)?"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from evreg.contracts import ContractError, Finding, Policy
from evreg.contracts.compat.check import check_reader
from evreg.contracts.model import SchemaRef
from evreg.contracts.patterns import PatternError
from evreg.registry.flow.endpoints import Endpoint, EndpointMessage

CONSUMER_CHECK_MODES = ("block", "warn", "off")
DEFAULT_CONSUMER_CHECKS = "warn"


@dataclass(frozen=True, slots=True)
class ConsumerFinding:
    """A receiver that cannot read what a sender on the same channel may send."""

    consumer: str
    producer: str
    channel: str
    message: str
    finding: Finding
    side: Literal["producer", "consumer"]  # which side the checked contract is on
    producer_version: int | None = None
    consumer_version: int | None = None
    text: str = field(default="")
    part: Literal["payload", "headers"] = "payload"  # where in the message

    def to_dict(self) -> dict[str, Any]:
        out = {
            "consumer": self.consumer,
            "producer": self.producer,
            "channel": self.channel,
            "message": self.message,
            "side": self.side,
            "producerVersion": self.producer_version,
            "consumerVersion": self.consumer_version,
            "part": self.part,
            "text": self.text,
            "finding": self.finding.to_dict(),
        }
        return out


def message_pairs(
    writer: Endpoint, reader: Endpoint
) -> Iterable[tuple[EndpointMessage, EndpointMessage]]:
    readers = {m.name: m for m in reader.messages}
    for message in writer.messages:
        if message.name in readers:
            yield message, readers[message.name]
        elif len(reader.messages) == 1:
            yield message, reader.messages[0]


Part = Literal["payload", "headers"]


def _parts(
    writer: EndpointMessage, reader: EndpointMessage
) -> Iterable[tuple[Part, SchemaRef, SchemaRef]]:
    """The (writer, reader) schemas to compare: the payloads, and the headers when the reader
    declares a headers schema (a writer without one guarantees no header at all)."""
    yield "payload", writer.payload, reader.payload
    if reader.headers is not None:
        headers = writer.headers or SchemaRef(
            schema={},
            pointer=f"{writer.pointer}/headers",
            document=writer.payload.document,
            draft=writer.payload.draft,
            resources=writer.payload.resources,
        )
        yield "headers", headers, reader.headers


_PROPERTY = re.compile(r"/(?:properties|required)/([^/]+)$")


def _text(
    consumer: str,
    producer: str,
    producer_version: int | None,
    channel: str,
    message: str,
    finding: Finding,
    side: str = "producer",
    part: Part = "payload",
    unconstrained: bool = False,
) -> str:
    version = f"v{producer_version}" if producer_version is not None else "the new version"
    prop = _PROPERTY.search(finding.path)
    what = "header " if part == "headers" else ""
    if part == "headers" and unconstrained:
        verb = "no longer declares" if side == "producer" else "does not declare"
        head = (
            f"{consumer} expects headers on `{message}`, {producer} {version} {verb} a headers "
            f"schema for it on `{channel}`"
        )
    elif prop and finding.rule.startswith(("REQUIRED_PROPERTY_ADDED", "REQUIRED_ATTRIBUTE_ADDED")):
        verb = "no longer guarantees" if side == "producer" else "does not guarantee"
        head = (
            f"{consumer} expects {what}`{prop.group(1)}`, {producer} {version} of `{message}` "
            f"on `{channel}` {verb} it"
        )
    else:
        head = (
            f"{consumer} cannot read {'the headers of ' if what else ''}every `{message}` "
            f"that {producer} {version} may send on `{channel}`: {finding.message}"
        )
    return f"{head} [{finding.rule} at {finding.path}]"


def check_endpoints(
    mine: Sequence[Endpoint], others: Sequence[Endpoint], policy: Policy
) -> list[ConsumerFinding]:
    """Every breaking finding between ``mine`` and the opposite side of ``others``: each
    message's payload, and its headers where the receiver declares a headers schema."""
    out: list[ConsumerFinding] = []
    for own in mine:
        for other in others:
            if other.address != own.address or other.action == own.action:
                continue
            if other.application == own.application:
                continue
            writer, reader = (own, other) if own.action == "send" else (other, own)
            side: Literal["producer", "consumer"] = (
                "producer" if own.action == "send" else "consumer"
            )
            for w_message, r_message in message_pairs(writer, reader):
                name = w_message.name
                for part, w_schema, r_schema in _parts(w_message, r_message):
                    prefix = (w_schema if own is writer else r_schema).pointer[1:]
                    try:
                        findings = check_reader(w_schema, r_schema, policy, prefix=prefix)
                    except PatternError:
                        raise  # over the request's budget: an answer, not a pair to skip
                    except ContractError:
                        continue
                    for finding in findings:
                        if not finding.breaking:
                            continue
                        located = dataclasses.replace(
                            finding, breaking=True, channel=own.address, message_name=name
                        )
                        out.append(
                            ConsumerFinding(
                                consumer=reader.application,
                                producer=writer.application,
                                channel=own.address,
                                message=name,
                                finding=located,
                                side=side,
                                producer_version=writer.version,
                                consumer_version=reader.version,
                                text=_text(
                                    reader.application,
                                    writer.application,
                                    writer.version,
                                    own.address,
                                    name,
                                    finding,
                                    side,
                                    part,
                                    unconstrained=part == "headers" and w_message.headers is None,
                                ),
                                part=part,
                            )
                        )
    return out


def describe_consumer_finding(item: ConsumerFinding) -> str:
    """One Confluent-style detail string for a 409."""
    parts = [
        f"errorType:'CONSUMER_{item.finding.rule}'",
        f"description:'{item.text}'",
        f"consumer:'{item.consumer}'",
        f"channel:'{item.channel}'",
        f"message:'{item.message}'",
    ]
    if item.finding.has_witness:
        parts.append(
            f"witness:{json.dumps(item.finding.witness, sort_keys=True, ensure_ascii=False)}"
        )
    return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class ConsumerCheck:
    mode: str
    application: str | None
    findings: tuple[ConsumerFinding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "application": self.application,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
        }
