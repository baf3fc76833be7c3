"""AsyncAPI 2.x channels and operations.

The channel key is the address. ``publish``/``subscribe`` speak from the client's side:
``subscribe`` means clients subscribe, so the described application **sends**; ``publish``
means clients publish, so it **receives**. An operation holds one ``message`` or a ``oneOf``.
"""

from __future__ import annotations

from typing import Literal

from evreg.contracts import pointer
from evreg.contracts.asyncapi_messages import Context, MessageTable, optional_text
from evreg.contracts.errors import ContractError
from evreg.contracts.model import Channel, Operation
from evreg.contracts.refs import Target
from evreg.contracts.traits import merged_fields, resolve_traits

_ACTIONS: dict[str, Literal["send", "receive"]] = {"subscribe": "send", "publish": "receive"}
_ID_FIELDS = ("messageId", "name")


def read_v2(ctx: Context, table: MessageTable) -> tuple[dict[str, Channel], dict[str, Operation]]:
    listed = ctx.document.get("channels", {})
    if not isinstance(listed, dict):
        raise ContractError("channels must be an object", pointer="#/channels")
    channels: dict[str, Channel] = {}
    operations: dict[str, Operation] = {}
    for key, node in listed.items():
        written = ctx.refs.within(ctx.refs.root, node, pointer.join("#/channels", key))
        channel = ctx.refs.deref(written)
        if not isinstance(channel.contents, dict):
            raise ContractError("a channel must be an object", pointer=channel.pointer)
        keys: list[str] = []
        for verb, value in channel.contents.items():
            if verb not in _ACTIONS:
                continue
            at = pointer.join(channel.pointer, verb)
            written_op = ctx.refs.within(channel, value, at)
            operation = _operation(ctx, table, key, verb, written_op, keys)
            if operation.key in operations:
                raise ContractError(
                    f"operationId {operation.key!r} is used twice", pointer=operation.pointer
                )
            operations[operation.key] = operation
            keys.extend(k for k in operation.messages if k not in keys)
        channels[key] = Channel(
            key=key,
            address=key,
            description=optional_text(channel.contents, "description", channel.pointer),
            messages=tuple(keys),
            pointer=channel.pointer,
        )
    return channels, operations


def _operation(
    ctx: Context,
    table: MessageTable,
    channel_key: str,
    verb: str,
    target: Target,
    on_channel: list[str],
) -> Operation:
    if not isinstance(target.contents, dict):
        raise ContractError(f"{verb} must be an object", pointer=target.pointer)
    traits = resolve_traits(ctx.refs, target)
    fields = merged_fields(2, target, traits, skip=("message", "traits"))
    return Operation(
        key=optional_text(fields, "operationId", target.pointer) or f"{channel_key}/{verb}",
        action=_ACTIONS[verb],
        channel=channel_key,
        messages=_messages(ctx, table, target, on_channel),
        description=optional_text(fields, "description", target.pointer),
        pointer=target.pointer,
    )


def _messages(
    ctx: Context, table: MessageTable, operation: Target, on_channel: list[str]
) -> tuple[str, ...]:
    """The operation's messages; ``on_channel``: the keys the channel's other operation has."""
    message = operation.contents.get("message")
    if message is None:
        return ()
    written = ctx.refs.within(operation, message, pointer.join(operation.pointer, "message"))
    resolved = ctx.refs.deref(written)
    occurrences = [written]
    if isinstance(resolved.contents, dict) and "oneOf" in resolved.contents:
        at = pointer.join(resolved.pointer, "oneOf")
        listed = resolved.contents["oneOf"]
        if not isinstance(listed, list):
            raise ContractError("oneOf must be a list of messages", pointer=at)
        occurrences = [
            ctx.refs.within(resolved, item, pointer.join(at, i)) for i, item in enumerate(listed)
        ]
    keys: list[str] = []
    for occurrence in occurrences:
        prefer = [*on_channel, *keys]
        key = table.add(occurrence, fields=_ID_FIELDS, channel_local=True, prefer=prefer)
        if key not in keys:
            keys.append(key)
    return tuple(keys)
