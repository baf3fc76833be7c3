"""The topic name of a channel: what its payload subject (``<topic>-value``) is named after.

Two decisions, both in docs/asyncapi.md:

- **A Kafka-topic-like name.** An address with parameters (``lights/{streetlightId}/measured``)
  names many topics; its subject is named after the address with each ``{parameter}`` written as
  the bare parameter name, and every run of characters a Kafka topic cannot hold (anything but
  ``A-Z a-z 0-9 . _ -``: the ``/`` of MQTT and AMQP addresses, braces, spaces) written as one
  ``.``, without a leading or trailing one: ``lights.streetlightId.measured-value``. That name
  works in every registry API path (a ``/`` in a subject cannot be addressed in a URL path
  where servers decode ``%2F``) and as a Kafka topic's ``TopicNameStrategy`` subject.
- **Endpoints of one application.** On a broker (Kafka, AMQP, MQTT, NATS, ...) an address is a
  topic that several applications share, so the address alone names the subject. Over
  WebSocket, HTTP or SSE the address is a path on the described application's own server: two
  unrelated APIs both on ``/`` must not share a subject. There the topic is the server's host
  (and pathname) followed by the address (``ws.example.com/prices``), from the servers the
  channel names (3.x ``servers``, 2.x ``servers``), else all the document's servers; the first
  such server, in document order, names it: ``ws.postman-echo.com.raw`` for a channel ``/``
  of the server ``wss://ws.postman-echo.com/raw``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from evreg.contracts import pointer
from evreg.contracts.model import Channel, Contract

_PARAMETER = re.compile(r"\{([^{}]*)\}")
_NOT_IN_A_TOPIC = re.compile(r"[^A-Za-z0-9._-]+")
# protocols whose channel address is a path on the application's own server
ENDPOINT_PROTOCOLS = frozenset({"ws", "wss", "http", "https", "sse", "http2", "websockets"})


def topic_like(text: str) -> str:
    """``/a/{id}/b`` -> ``a.id.b``: parameters bare, what a Kafka topic cannot hold a ``.``."""
    bare = _PARAMETER.sub(lambda m: m.group(1), text)
    return _NOT_IN_A_TOPIC.sub(".", bare).strip(".")


def _servers(contract: Contract, channel: Channel) -> list[dict[str, Any]]:
    document = contract.document if isinstance(contract.document, dict) else {}
    servers = document.get("servers")
    if not isinstance(servers, dict):
        return []
    try:
        node = pointer.resolve(document, channel.pointer)
    except LookupError:
        node = None
    listed = node.get("servers") if isinstance(node, dict) else None
    names: list[str] = []
    if isinstance(listed, list):
        for item in listed:
            if isinstance(item, str):  # 2.x: server names
                names.append(item)
            elif isinstance(item, dict) and isinstance(item.get("$ref"), str):  # 3.x
                tokens = pointer.split(item["$ref"]) if item["$ref"].startswith("#/") else []
                if len(tokens) == 2 and tokens[0] == "servers":
                    names.append(tokens[1])
    chosen = [servers[n] for n in names if n in servers] if names else list(servers.values())
    return [s for s in chosen if isinstance(s, dict)]


def _host(server: dict[str, Any]) -> str | None:
    """``host`` + ``pathname`` (3.x), or the host and path of ``url`` (2.x)."""
    host = server.get("host")
    if isinstance(host, str):
        path = server.get("pathname")
        return host + (path if isinstance(path, str) else "")
    url = server.get("url")
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url if "//" in url else "//" + url)
    return (parts.netloc or parts.path) + (parts.path if parts.netloc else "")


def topic_name(contract: Contract, channel: Channel) -> str | None:
    """The topic a payload subject of ``channel`` is named after; None when it has none (no
    address, or nothing of it that a topic can hold)."""
    if not channel.address:
        return None
    address = channel.address
    for server in _servers(contract, channel):
        protocol = server.get("protocol")
        if not isinstance(protocol, str) or protocol.lower() not in ENDPOINT_PROTOCOLS:
            return topic_like(address) or None  # a broker: the address is the topic
    for server in _servers(contract, channel):
        host = _host(server)
        if host:
            return topic_like(host + "/" + address) or None
    # no server to say: the address, else (``/``) the channel's key (3.x: a name)
    return topic_like(address) or topic_like(channel.key) or None
