"""The event-flow map: which application sends and receives on which channel, and whether each
consumer can read what its producers send.

An AsyncAPI contract describes one application (``x-evreg-application``, else ``info.title``,
else the subject name). Its operations say on which channel addresses it sends and receives,
and with which message payloads. The map is computed on read from the latest live version of
every AsyncAPI subject; the endpoints of a contract are cached by its fingerprint.

Consumer-aware checks pair a sender's message (the writer) with each receiver's message of the
same name on the same address (else the receiver's only message there), and ask whether the
receiver's schema (the reader) accepts every event the sender's allows.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session, col, select

from evreg.contracts import Contract, ContractError, Finding, Policy
from evreg.contracts.compat.check import check_reader
from evreg.contracts.model import SchemaRef
from evreg.registry import errors
from evreg.registry.store import queries as q
from evreg.registry.store.tables import SchemaRow, SubjectSummary

CONSUMER_CHECK_MODES = ("block", "warn", "off")
DEFAULT_CONSUMER_CHECKS = "warn"

Action = Literal["send", "receive"]


def application_of(contract: Contract, fallback: str) -> str:
    """``x-evreg-application``, else ``info.title``, else ``fallback`` (the ``--application``
    given when it was pushed, else the subject name)."""
    doc = contract.document if isinstance(contract.document, dict) else {}
    named = doc.get("x-evreg-application")
    if isinstance(named, str) and named.strip():
        return named.strip()
    info = doc.get("info")
    title = info.get("title") if isinstance(info, dict) else None
    if isinstance(title, str) and title.strip():
        return title.strip()
    return fallback


MAX_APPLICATION = 200  # characters


def application_parameter(value: str | None) -> str | None:
    """The ``application`` query parameter, checked: None when absent, else a name of 1 to 200
    characters without control characters (surrounding blanks dropped)."""
    if value is None:
        return None
    name = value.strip()
    problem = None
    if not name:
        problem = "must not be empty"
    elif len(name) > MAX_APPLICATION:
        problem = f"is {len(name)} characters long, the limit is {MAX_APPLICATION}"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = "must not contain control characters"
    if problem:
        raise errors.MalformedRequest(f"Query parameter application {problem}", status=422)
    return name


@dataclass(frozen=True, slots=True)
class EndpointMessage:
    """A message one side declares on a channel: its payload and, if any, its headers."""

    name: str  # the message's name, else its key
    key: str  # its key in the contract (the anchor on the contract version page)
    payload: SchemaRef
    headers: SchemaRef | None
    pointer: str  # where the message sits in its document


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One application's side of one channel address: what it sends, or what it receives."""

    application: str
    subject: str
    version: int | None  # None: a contract not registered (yet)
    action: Action
    address: str
    messages: tuple[EndpointMessage, ...]
    fingerprint: str = ""  # of the contract it comes from

    @property
    def message_names(self) -> list[str]:
        return [m.name for m in self.messages]

    @property
    def key(self) -> tuple[str, str, int | None, str, str, str]:
        return (
            self.application,
            self.subject,
            self.version,
            self.fingerprint,
            self.action,
            self.address,
        )


def endpoints(
    contract: Contract, subject: str, version: int | None, application: str | None = None
) -> list[Endpoint]:
    """The endpoints an AsyncAPI contract declares (one per action and address).

    ``application`` names the application when the document does not (the ``--application``
    of ``evreg push``); else the subject name does.
    """
    if not contract.is_asyncapi:
        return []
    app = application_of(contract, application or subject)
    grouped: dict[tuple[Action, str], list[EndpointMessage]] = {}
    for operation in contract.operations.values():
        channel = contract.channels.get(operation.channel)
        if channel is None:
            continue
        address = channel.address or channel.key
        names = operation.messages or channel.messages
        found = grouped.setdefault((operation.action, address), [])
        for key in names:
            message = contract.messages.get(key)
            if message is None or message.payload is None:
                continue
            name = message.name or message.key
            if all(name != m.name for m in found):
                found.append(
                    EndpointMessage(
                        name, message.key, message.payload, message.headers, message.pointer
                    )
                )
    return [
        Endpoint(app, subject, version, action, address, tuple(msgs), contract.fingerprint)
        for (action, address), msgs in sorted(grouped.items())
    ]


# ---------------------------------------------------------------- the map

EdgeKey = tuple[
    tuple[str, str, int | None, str, str, str], tuple[str, str, int | None, str, str, str]
]


@dataclass(frozen=True, slots=True)
class Edge:
    """A sender and a receiver (two applications) on one channel address, and whether the
    receiver can read what the sender sends (``findings`` empty) or not (the edge is broken)."""

    sender: Endpoint
    receiver: Endpoint
    findings: tuple[ConsumerFinding, ...] = ()

    @property
    def broken(self) -> bool:
        return bool(self.findings)

    @property
    def key(self) -> EdgeKey:
        return (self.sender.key, self.receiver.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.sender.application,
            "to": self.receiver.application,
            "channel": self.sender.address,
            "messages": self.sender.message_names,
            "receiverMessages": self.receiver.message_names,
            "fromContract": {"subject": self.sender.subject, "version": self.sender.version},
            "toContract": {"subject": self.receiver.subject, "version": self.receiver.version},
            "broken": self.broken,
            "findings": [f.to_dict() for f in self.findings],
        }


def sender_receiver_pairs(found: Sequence[Endpoint]) -> list[tuple[Endpoint, Endpoint]]:
    """Every (sender, receiver) of two different applications on the same address."""
    receivers: dict[str, list[Endpoint]] = {}
    for e in found:
        if e.action == "receive":
            receivers.setdefault(e.address, []).append(e)
    return [
        (sender, receiver)
        for sender in found
        if sender.action == "send"
        for receiver in receivers.get(sender.address, ())
        if receiver.application != sender.application
    ]


# (edge, policy) -> findings: a pure function of its key (both sides' application, subject,
# version, contract fingerprint, action and address), so one bounded cache serves every registry
_EDGE_CACHE: dict[tuple[EdgeKey, str], tuple[ConsumerFinding, ...]] = {}


def edge_findings(
    found: Sequence[Endpoint],
    policy_of: Callable[[str], Policy],
    cache: dict[tuple[EdgeKey, str], tuple[ConsumerFinding, ...]] = _EDGE_CACHE,
) -> dict[EdgeKey, tuple[ConsumerFinding, ...]]:
    """What each receiver cannot read of what its sender sends, under the receiver subject's
    policy."""
    out: dict[EdgeKey, tuple[ConsumerFinding, ...]] = {}
    for sender, receiver in sender_receiver_pairs(found):
        policy = policy_of(receiver.subject)
        edge = (sender.key, receiver.key)
        result = cache.get((edge, policy.value))
        if result is None:
            result = tuple(check_endpoints([receiver], [sender], policy))
            if len(cache) > 4096:
                cache.clear()
            cache[(edge, policy.value)] = result
        out[edge] = result
    return out


@dataclass(frozen=True, slots=True)
class FlowMap:
    endpoints: tuple[Endpoint, ...]
    findings: Mapping[EdgeKey, tuple[ConsumerFinding, ...]] = field(default_factory=dict)

    def links(self) -> list[Edge]:
        """The edges, each with what breaks on it (as far as ``findings`` says)."""
        return [
            Edge(sender, receiver, tuple(self.findings.get((sender.key, receiver.key), ())))
            for sender, receiver in sender_receiver_pairs(self.endpoints)
        ]

    def applications(self) -> list[dict[str, Any]]:
        apps: dict[str, dict[str, Any]] = {}
        for e in self.endpoints:
            entry = apps.setdefault(e.application, {"name": e.application, "contracts": []})
            ref = {"subject": e.subject, "version": e.version}
            if ref not in entry["contracts"]:
                entry["contracts"].append(ref)
        return [apps[k] for k in sorted(apps)]

    def channels(self) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for e in self.endpoints:
            entry = out.setdefault(
                e.address, {"address": e.address, "senders": [], "receivers": []}
            )
            side = entry["senders" if e.action == "send" else "receivers"]
            if e.application not in side:
                side.append(e.application)
        return [out[k] for k in sorted(out)]

    def edges(self) -> list[dict[str, Any]]:
        return [edge.to_dict() for edge in self.links()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "applications": self.applications(),
            "channels": self.channels(),
            "edges": self.edges(),
        }

    def application(self, name: str) -> dict[str, Any] | None:
        mine = [e for e in self.endpoints if e.application == name]
        if not mine:
            return None
        edges = self.edges()

        def side(action: Action) -> list[dict[str, Any]]:
            out = []
            for e in mine:
                if e.action != action:
                    continue
                peers = sorted(
                    {
                        edge["to"] if action == "send" else edge["from"]
                        for edge in edges
                        if edge["channel"] == e.address
                        and edge["from" if action == "send" else "to"] == name
                    }
                )
                out.append(
                    {
                        "channel": e.address,
                        "messages": e.message_names,
                        "subject": e.subject,
                        "version": e.version,
                        "receivers" if action == "send" else "senders": peers,
                    }
                )
            return out

        return {"name": name, "sends": side("send"), "receives": side("receive")}


def live_endpoints(
    session: Session,
    load: Callable[[SchemaRow], Contract],
    cache: dict[str, tuple[Endpoint, ...]],
    *,
    exclude: str | None = None,
    named: Mapping[tuple[str, int], str] | None = None,
) -> list[Endpoint]:
    """The endpoints of the latest live version of every AsyncAPI subject (but ``exclude``);
    ``named`` holds the ``--application`` each (subject, version) was pushed with, if any.

    One query (the subject summaries hold each subject's latest live version and its type);
    a schema is read and parsed only when its endpoints are not cached yet (a schema id's
    content never changes)."""
    out: list[Endpoint] = []
    latest = session.exec(
        select(SubjectSummary.subject, SubjectSummary.version, SubjectSummary.schema_id)
        .where(col(SubjectSummary.schema_type) == "ASYNCAPI")
        .where(col(SubjectSummary.version).is_not(None))
        .order_by(col(SubjectSummary.subject))
    ).all()
    for subject, version, schema_id in latest:
        if subject == exclude or version is None or schema_id is None:
            continue
        application = (named or {}).get((subject, version))
        key = f"{schema_id}:{subject}:{version}:{application or ''}"
        found = cache.get(key)
        if found is None:
            row = q.get_schema(session, schema_id)
            try:
                found = (
                    tuple(endpoints(load(row), subject, version, application))
                    if row is not None
                    else ()
                )
            except ContractError:
                found = ()
            if len(cache) > 4096:
                cache.clear()
            cache[key] = found
        out.extend(found)
    return out


# ---------------------------------------------------------------- consumer-aware checks


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
