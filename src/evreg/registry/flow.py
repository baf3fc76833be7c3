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

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session

from evreg.contracts import Contract, ContractError, Finding, Policy
from evreg.contracts.compat.check import check_reader
from evreg.contracts.model import SchemaRef
from evreg.registry.store import queries as q
from evreg.registry.store.tables import SchemaRow

CONSUMER_CHECK_MODES = ("block", "warn", "off")
DEFAULT_CONSUMER_CHECKS = "warn"

Action = Literal["send", "receive"]


def application_of(contract: Contract, fallback: str) -> str:
    """``x-evreg-application``, else ``info.title``, else ``fallback``."""
    doc = contract.document if isinstance(contract.document, dict) else {}
    named = doc.get("x-evreg-application")
    if isinstance(named, str) and named.strip():
        return named.strip()
    info = doc.get("info")
    title = info.get("title") if isinstance(info, dict) else None
    if isinstance(title, str) and title.strip():
        return title.strip()
    return fallback


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One application's side of one channel address: what it sends, or what it receives."""

    application: str
    subject: str
    version: int | None  # None: a contract not registered (yet)
    action: Action
    address: str
    messages: tuple[tuple[str, SchemaRef], ...]  # (message name, payload)

    @property
    def message_names(self) -> list[str]:
        return [name for name, _ in self.messages]


def endpoints(contract: Contract, subject: str, version: int | None) -> list[Endpoint]:
    """The endpoints an AsyncAPI contract declares (one per action and address)."""
    if not contract.is_asyncapi:
        return []
    app = application_of(contract, subject)
    grouped: dict[tuple[Action, str], list[tuple[str, SchemaRef]]] = {}
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
            if all(name != n for n, _ in found):
                found.append((name, message.payload))
    return [
        Endpoint(app, subject, version, action, address, tuple(msgs))
        for (action, address), msgs in sorted(grouped.items())
    ]


# ---------------------------------------------------------------- the map


@dataclass(frozen=True, slots=True)
class FlowMap:
    endpoints: tuple[Endpoint, ...]

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
        out: list[dict[str, Any]] = []
        for sender in self.endpoints:
            if sender.action != "send":
                continue
            for receiver in self.endpoints:
                if receiver.action != "receive" or receiver.address != sender.address:
                    continue
                if receiver.application == sender.application:
                    continue
                out.append(
                    {
                        "from": sender.application,
                        "to": receiver.application,
                        "channel": sender.address,
                        "messages": sender.message_names,
                        "receiverMessages": receiver.message_names,
                        "fromContract": {"subject": sender.subject, "version": sender.version},
                        "toContract": {"subject": receiver.subject, "version": receiver.version},
                    }
                )
        return out

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
) -> list[Endpoint]:
    """The endpoints of the latest live version of every AsyncAPI subject (but ``exclude``)."""
    out: list[Endpoint] = []
    for subject in q.subjects(session):
        if subject == exclude:
            continue
        live = q.versions(session, subject)
        if not live:
            continue
        row = q.get_schema(session, live[-1].schema_id)
        if row is None or row.schema_type != "ASYNCAPI":
            continue
        key = f"{row.fingerprint}:{subject}:{live[-1].version}"
        found = cache.get(key)
        if found is None:
            try:
                found = tuple(endpoints(load(row), subject, live[-1].version))
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

    def to_dict(self) -> dict[str, Any]:
        out = {
            "consumer": self.consumer,
            "producer": self.producer,
            "channel": self.channel,
            "message": self.message,
            "side": self.side,
            "producerVersion": self.producer_version,
            "consumerVersion": self.consumer_version,
            "text": self.text,
            "finding": self.finding.to_dict(),
        }
        return out


def _pairs(writer: Endpoint, reader: Endpoint) -> Iterable[tuple[str, SchemaRef, str, SchemaRef]]:
    readers = dict(reader.messages)
    for name, schema in writer.messages:
        if name in readers:
            yield name, schema, name, readers[name]
        elif len(reader.messages) == 1:
            other, other_schema = reader.messages[0]
            yield name, schema, other, other_schema


_PROPERTY = re.compile(r"/properties/([^/]+)$")


def _text(
    consumer: str,
    producer: str,
    producer_version: int | None,
    channel: str,
    message: str,
    finding: Finding,
    side: str = "producer",
) -> str:
    version = f"v{producer_version}" if producer_version is not None else "the new version"
    prop = _PROPERTY.search(finding.path)
    if prop and finding.rule.startswith(("REQUIRED_PROPERTY_ADDED", "REQUIRED_ATTRIBUTE_ADDED")):
        verb = "no longer guarantees" if side == "producer" else "does not guarantee"
        head = (
            f"{consumer} expects `{prop.group(1)}`, {producer} {version} of `{message}` "
            f"on `{channel}` {verb} it"
        )
    else:
        head = (
            f"{consumer} cannot read every `{message}` that {producer} {version} may send on "
            f"`{channel}`: {finding.message}"
        )
    return f"{head} [{finding.rule} at {finding.path}]"


def check_endpoints(
    mine: Sequence[Endpoint], others: Sequence[Endpoint], policy: Policy
) -> list[ConsumerFinding]:
    """Every breaking finding between ``mine`` and the opposite side of ``others``."""
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
            for name, w_schema, _, r_schema in _pairs(writer, reader):
                prefix = (w_schema if own is writer else r_schema).pointer[1:]
                try:
                    findings = check_reader(w_schema, r_schema, policy, prefix=prefix)
                except ContractError:
                    continue
                for finding in findings:
                    if not finding.breaking:
                        continue
                    located = Finding(
                        rule=finding.rule,
                        path=finding.path,
                        message=finding.message,
                        breaking=True,
                        direction=finding.direction,
                        witness=finding.witness,
                        witness_note=finding.witness_note,
                        has_witness=finding.has_witness,
                        channel=own.address,
                        message_name=name,
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
                            ),
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
