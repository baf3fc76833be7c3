"""AsyncAPI 3.0 channels and operations.

Channels have an ``address`` and a ``messages`` map (``$ref``s into components, or inline);
top-level ``operations`` carry ``action`` (``send``/``receive``), a ``channel`` ``$ref`` and a
list of message ``$ref``s (by default every message of the channel).
"""

from __future__ import annotations

from typing import Any, Literal, cast

from evreg.contracts import pointer
from evreg.contracts.asyncapi_messages import Context, MessageTable, optional_text
from evreg.contracts.errors import ContractError
from evreg.contracts.model import Channel, Operation
from evreg.contracts.refs import Target
from evreg.contracts.traits import merged_fields, resolve_traits


class _Channels:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.by_node: dict[int, str] = {}  # id(resolved channel object) -> key
        self.nodes: list[tuple[Any, str]] = []


def _object_map(ctx: Context, key: str) -> dict[str, Any]:
    listed = ctx.document.get(key, {})
    if not isinstance(listed, dict):
        raise ContractError(f"{key} must be an object", pointer=pointer.join("#", key))
    return listed


def read_v3(ctx: Context, table: MessageTable) -> tuple[dict[str, Channel], dict[str, Operation]]:
    found = _Channels()
    for key, node in _object_map(ctx, "channels").items():
        written = ctx.refs.within(ctx.refs.root, node, pointer.join("#/channels", key))
        channel = ctx.refs.deref(written)
        found.channels[key] = _channel(ctx, table, key, channel)
        found.by_node[id(channel.contents)] = key
        found.nodes.append((channel.contents, key))
    operations: dict[str, Operation] = {}
    for key, node in _object_map(ctx, "operations").items():
        written = ctx.refs.within(ctx.refs.root, node, pointer.join("#/operations", key))
        operations[key] = _operation(ctx, table, found, key, ctx.refs.deref(written))
    return found.channels, operations


def _channel(ctx: Context, table: MessageTable, key: str, channel: Target) -> Channel:
    node = channel.contents
    if not isinstance(node, dict):
        raise ContractError("a channel must be an object", pointer=channel.pointer)
    messages = node.get("messages", {})
    at = pointer.join(channel.pointer, "messages")
    if not isinstance(messages, dict):
        raise ContractError("messages must be an object", pointer=at)
    keys: list[str] = []
    local: list[tuple[str, str]] = []
    for name, message in messages.items():
        occurrence = ctx.refs.within(channel, message, pointer.join(at, name))
        message_key = table.add(occurrence, first=name, channel_local=True, prefer=keys)
        local.append((name, message_key))
        if message_key not in keys:
            keys.append(message_key)
    return Channel(
        key=key,
        address=optional_text(node, "address", channel.pointer),
        description=optional_text(node, "description", channel.pointer),
        messages=tuple(keys),
        pointer=channel.pointer,
        local_keys=tuple(local),
    )


def _operation(
    ctx: Context, table: MessageTable, found: _Channels, key: str, target: Target
) -> Operation:
    node = target.contents
    if not isinstance(node, dict):
        raise ContractError("an operation must be an object", pointer=target.pointer)
    action = node.get("action")
    if action not in ("send", "receive"):
        raise ContractError(
            f"action must be 'send' or 'receive', not {action!r}",
            pointer=pointer.join(target.pointer, "action"),
        )
    channel_key = _channel_of(ctx, found, target)
    traits = resolve_traits(ctx.refs, target)
    fields = merged_fields(3, target, traits, skip=("channel", "messages", "traits", "reply"))
    messages = node.get("messages")
    at = pointer.join(target.pointer, "messages")
    if messages is None:
        keys = found.channels[channel_key].messages
    elif isinstance(messages, list):
        own = found.channels[channel_key].messages
        keys = tuple(
            dict.fromkeys(
                table.add(ctx.refs.within(target, m, pointer.join(at, i)), prefer=own)
                for i, m in enumerate(messages)
            )
        )
    else:
        raise ContractError("messages must be a list", pointer=at)
    return Operation(
        key=key,
        action=cast(Literal["send", "receive"], action),
        channel=channel_key,
        messages=keys,
        description=optional_text(fields, "description", target.pointer),
        pointer=target.pointer,
    )


def _channel_of(ctx: Context, found: _Channels, operation: Target) -> str:
    at = pointer.join(operation.pointer, "channel")
    if "channel" not in operation.contents:
        raise ContractError("an operation needs a channel", pointer=operation.pointer)
    channel = ctx.refs.deref(ctx.refs.within(operation, operation.contents["channel"], at))
    key = found.by_node.get(id(channel.contents))
    if key is None:  # a dereferenced document: an inline copy of a channel
        key = next((k for node, k in found.nodes if node == channel.contents), None)
    if key is None:
        raise ContractError("the operation's channel is not one of #/channels", pointer=at)
    return key
