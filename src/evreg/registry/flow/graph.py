"""The event-flow map: every sender and receiver of two applications on one channel address,
and whether the receiver can read what the sender sends."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evreg.contracts import Policy
from evreg.registry.flow.consumers import ConsumerFinding, check_endpoints
from evreg.registry.flow.endpoints import Action, Endpoint

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
