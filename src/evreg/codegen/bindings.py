"""What an operation's AsyncAPI bindings ask of the broker, read once for every language.

The bindings of the channel, the operation and its messages are merged, the more specific one
winning (message over operation over channel, per field). What evreg honours:

- **Kafka** (message binding ``kafka.key``, else operation or channel): the record key. A key
  schema with a ``const`` (or a one-value ``enum``) is a fixed key; a key schema that is a
  ``$ref`` to a property of the message's payload (``#/components/schemas/Order/properties/id``)
  or headers schema is that field's value in each message; the message (or operation, or
  channel) extension ``x-evreg-key`` gives the field directly as an AsyncAPI runtime
  expression (``$message.payload#/orderId``, ``$message.header#/tenant``). Any other key schema
  means the caller gives the key: the producer method takes a required ``key`` argument.
- **AMQP** (channel binding ``amqp``): ``exchange.name`` and ``exchange.type`` (the exchange
  messages are published to and queues bound on), ``queue.name`` or, beside an exchange,
  ``x-evreg-queue.name`` (the queue a consumer reads; see the runtime's
  ``ChannelOptions.queue``); operation binding ``cc``: the routing keys
  (published with the first, ``CC`` the others; a consumer binds each).
- **MQTT** (operation, else message binding ``mqtt``): ``qos`` (0, 1, 2) and ``retain``.

A binding evreg cannot use the way it is written is a ``CodegenError`` naming its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evreg.codegen.errors import CodegenError
from evreg.contracts import pointer as pointers
from evreg.contracts.model import Channel, Message, Operation

KEY_EXTENSION = "x-evreg-key"
EXCHANGE_TYPES = ("topic", "direct", "fanout", "headers")
MAX_REFS = 32


@dataclass(frozen=True, slots=True)
class Bindings:
    """What the bindings ask; ``None`` / empty leaves the transport's default."""

    key: str | None = None  # a fixed Kafka key
    key_expression: str | None = None  # "$message.payload#/orderId": the key read per message
    key_required: bool = False  # a key schema without a value: the caller gives the key
    exchange: str | None = None
    exchange_type: str | None = None
    queue: str | None = None
    routing_keys: tuple[str, ...] = ()
    qos: int | None = None
    retain: bool | None = None

    @property
    def has_key(self) -> bool:
        return self.key is not None or self.key_expression is not None or self.key_required


def _deref(document: Any, node: Any, at: str) -> tuple[Any, str]:
    """``node`` with its local ``$ref`` chain followed, and the pointer it was found at."""
    for _ in range(MAX_REFS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node, at
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise CodegenError(f"{at}: bindings may only $ref inside the document, not {ref!r}")
        try:
            node, at = pointers.resolve(document, ref), ref
        except LookupError as exc:
            raise CodegenError(f"{at}: $ref {ref!r} points at nothing") from exc
    raise CodegenError(f"{at}: $ref chain longer than {MAX_REFS}")


def _binding(document: Any, owner: str, protocol: str) -> tuple[dict[str, Any], str]:
    """The ``protocol`` binding object of the object at ``owner`` ({} when there is none)."""
    try:
        node = pointers.resolve(document, owner)
    except LookupError:
        return {}, owner
    node, at = _deref(document, node, owner)
    if not isinstance(node, dict) or "bindings" not in node:
        return {}, at
    bindings, at = _deref(document, node["bindings"], pointers.join(at, "bindings"))
    if not isinstance(bindings, dict) or protocol not in bindings:
        return {}, at
    binding, at = _deref(document, bindings[protocol], pointers.join(at, protocol))
    if not isinstance(binding, dict):
        raise CodegenError(f"{at}: a {protocol} binding must be an object")
    return binding, at


def _extension(document: Any, owners: Sequence[str]) -> tuple[str, str] | None:
    for owner in owners:
        try:
            node, at = _deref(document, pointers.resolve(document, owner), owner)
        except LookupError:
            continue
        if isinstance(node, dict) and KEY_EXTENSION in node:
            value, where = node[KEY_EXTENSION], pointers.join(at, KEY_EXTENSION)
            if not isinstance(value, str) or not value.startswith(
                ("$message.payload#/", "$message.header#/")
            ):
                raise CodegenError(
                    f"{where}: {value!r} is not $message.payload#/<field> or "
                    "$message.header#/<header>"
                )
            return value, where
    return None


def _chain(document: Any, at: str) -> list[str]:
    """The pointers a schema's ``$ref`` chain passes through, starting at ``at``."""
    out = [at]
    try:
        node = pointers.resolve(document, at)
    except LookupError:
        return out
    for _ in range(MAX_REFS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        ref = node["$ref"]
        if not ref.startswith("#"):
            break
        out.append(ref)
        try:
            node = pointers.resolve(document, ref)
        except LookupError:
            break
    return out


def _field_of(document: Any, ref: str, messages: Sequence[Message]) -> str | None:
    """``$message.payload#/x`` when ``ref`` is ``<payload schema>/properties/x`` (or the
    headers') of every message; ``None`` otherwise."""
    found: set[str] = set()
    for message in messages:
        hit = None
        for where, schema in (("payload", message.payload), ("header", message.headers)):
            if schema is None:
                continue
            for base in _chain(document, schema.pointer):
                prefix = base.rstrip("/") + "/properties/"
                name = ref[len(prefix) :]
                if ref.startswith(prefix) and name and "/" not in name:
                    hit = f"$message.{where}#/{name}"
        if hit is None:
            return None
        found.add(hit)
    return found.pop() if len(found) == 1 else None


def _kafka_key(
    document: Any, operation: Operation, channel: Channel, messages: Sequence[Message]
) -> tuple[str | None, str | None, bool]:
    owners = [m.pointer for m in messages] + [operation.pointer, channel.pointer]
    extension = _extension(document, owners)
    if extension is not None:
        return None, extension[0], False
    for owner in owners:
        binding, at = _binding(document, owner, "kafka")
        if "key" not in binding:
            continue
        raw = binding["key"]
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            expression = _field_of(document, raw["$ref"], messages)
            if expression is not None:
                return None, expression, False
        schema, where = _deref(document, raw, pointers.join(at, "key"))
        if not isinstance(schema, dict):
            raise CodegenError(f"{where}: a Kafka key must be a schema object")
        values = [schema["const"]] if "const" in schema else schema.get("enum")
        if isinstance(values, list) and len(values) == 1:
            value = values[0]
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise CodegenError(f"{where}: a fixed Kafka key must be a string or an integer")
            return str(value), None, False
        return None, None, True
    return None, None, False


def _amqp(
    document: Any, operation: Operation, channel: Channel
) -> tuple[str | None, str | None, str | None, tuple[str, ...]]:
    binding, at = _binding(document, channel.pointer, "amqp")
    exchange = exchange_type = queue = None
    if binding.get("is", "routingKey") not in ("routingKey", "queue"):
        raise CodegenError(f"{pointers.join(at, 'is')}: is must be routingKey or queue")
    if "exchange" in binding:
        node, where = _deref(document, binding["exchange"], pointers.join(at, "exchange"))
        if not isinstance(node, dict):
            raise CodegenError(f"{where}: the exchange must be an object")
        exchange = node.get("name")
        if exchange is not None and (not isinstance(exchange, str) or not exchange):
            raise CodegenError(f"{where}/name: an exchange name must be a non-empty string")
        exchange_type = node.get("type")
        if exchange_type is not None and exchange_type not in EXCHANGE_TYPES:
            raise CodegenError(f"{where}/type: one of {', '.join(EXCHANGE_TYPES)}")
    # the spec's binding has a queue only when `is: queue` (then no exchange): the queue an
    # exchange's consumers read is evreg's extension `x-evreg-queue` beside the exchange
    field = "queue" if "queue" in binding else "x-evreg-queue"
    if field in binding:
        node, where = _deref(document, binding[field], pointers.join(at, field))
        name = node.get("name") if isinstance(node, dict) else None
        if name is not None and (not isinstance(name, str) or not name):
            raise CodegenError(f"{where}/name: a queue name must be a non-empty string")
        queue = name
    op_binding, op_at = _binding(document, operation.pointer, "amqp")
    cc = op_binding.get("cc", [])
    if not isinstance(cc, list) or not all(isinstance(k, str) and k for k in cc):
        raise CodegenError(f"{pointers.join(op_at, 'cc')}: cc must be a list of routing keys")
    return exchange, exchange_type, queue, tuple(cc)


def _mqtt(
    document: Any, operation: Operation, messages: Sequence[Message]
) -> tuple[int | None, bool | None]:
    qos: int | None = None
    retain: bool | None = None
    for owner in [operation.pointer, *(m.pointer for m in messages)]:
        binding, at = _binding(document, owner, "mqtt")
        if qos is None and "qos" in binding:
            qos = binding["qos"]
            if isinstance(qos, bool) or qos not in (0, 1, 2):
                raise CodegenError(f"{pointers.join(at, 'qos')}: qos must be 0, 1 or 2")
        if retain is None and "retain" in binding:
            retain = binding["retain"]
            if not isinstance(retain, bool):
                raise CodegenError(f"{pointers.join(at, 'retain')}: retain must be true or false")
    return qos, retain


def operation_bindings(
    document: Any, operation: Operation, channel: Channel, messages: Sequence[Message]
) -> Bindings:
    """The bindings of ``operation`` (on ``channel``, sending or receiving ``messages``)."""
    key, expression, required = _kafka_key(document, operation, channel, messages)
    exchange, exchange_type, queue, routing_keys = _amqp(document, operation, channel)
    qos, retain = _mqtt(document, operation, messages)
    return Bindings(
        key=key,
        key_expression=expression,
        key_required=required,
        exchange=exchange,
        exchange_type=exchange_type,
        queue=queue,
        routing_keys=routing_keys,
        qos=qos,
        retain=retain,
    )
