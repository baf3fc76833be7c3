"""Document-level differences between two AsyncAPI contracts, named for the evolution old -> new.

Channels are matched by address, operations by id/key and messages on each channel by name
(falling back to the channel's own key for the message, then to Message.key); see
``message_pairs``. Payload and header schemas of matched messages are compared by the JSON Schema
engine (see ``check.py``); this module finds the pairs and the structural changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from evreg.contracts.compat.report import Change
from evreg.contracts.compat.rules import RuleId
from evreg.contracts.model import Channel, Contract, Message
from evreg.contracts.pointer import escape

R = RuleId


@dataclass(frozen=True, slots=True)
class MessagePair:
    old: Message
    new: Message
    channel: str | None  # address of a channel both versions carry it on


def _address(channel: Channel) -> str:
    return channel.address if channel.address is not None else channel.key


def _name(message: Message) -> str:
    return message.name or message.key


def _by_address(contract: Contract) -> dict[str, Channel]:
    return {_address(ch): ch for ch in contract.channels.values()}


def _local_keys(channel: Channel) -> dict[str, str]:
    """Message.key -> the first key the channel's `messages` map gives it (3.0; else empty)."""
    local: dict[str, str] = {}
    for written, key in channel.local_keys:
        local.setdefault(key, written)
    return local


def _channel_messages(contract: Contract, channel: Channel) -> dict[str, Message]:
    """The channel's messages by their identity on it: the name, else the channel's own key
    for the message (3.0), else Message.key."""
    local = _local_keys(channel)
    found = (contract.messages.get(key) for key in channel.messages)
    return {m.name or local.get(m.key, m.key): m for m in found if m is not None}


def _message_pointer(channel: Channel, message: Message) -> str:
    local = _local_keys(channel).get(message.key)
    if local is not None:
        return f"{channel.pointer}/messages/{escape(local)}"
    return message.pointer


def _content_type(contract: Contract, message: Message) -> str:
    doc = contract.document if isinstance(contract.document, dict) else {}
    default = doc.get("defaultContentType")
    return message.content_type or (default if isinstance(default, str) else "application/json")


def diff_documents(old: Contract, new: Contract) -> list[Change]:
    out: list[Change] = []
    _info(old, new, out)
    old_channels, new_channels = _by_address(old), _by_address(new)
    for address, channel in old_channels.items():
        if address not in new_channels:
            out.append(
                Change(
                    R.CHANNEL_REMOVED,
                    channel.pointer,
                    address,
                    None,
                    f"Channel `{address}` was removed",
                    address,
                )
            )
            continue
        new_channel = new_channels[address]
        old_msgs, new_msgs = _channel_messages(old, channel), _channel_messages(new, new_channel)
        for name, message in old_msgs.items():
            if name not in new_msgs:
                out.append(
                    Change(
                        R.MESSAGE_REMOVED,
                        _message_pointer(channel, message),
                        name,
                        None,
                        f"Message `{name}` no longer flows on channel `{address}`",
                        address,
                        name,
                    )
                )
        for name, message in new_msgs.items():
            if name not in old_msgs:
                out.append(
                    Change(
                        R.MESSAGE_ADDED,
                        _message_pointer(new_channel, message),
                        None,
                        name,
                        f"Message `{name}` now flows on channel `{address}`",
                        address,
                        name,
                    )
                )
        if channel.description != new_channel.description:
            out.append(
                Change(
                    R.METADATA_CHANGED,
                    f"{new_channel.pointer}/description",
                    channel.description,
                    new_channel.description,
                    f"The description of channel `{address}` changed",
                    address,
                )
            )
    for address, channel in new_channels.items():
        if address not in old_channels:
            out.append(
                Change(
                    R.CHANNEL_ADDED,
                    channel.pointer,
                    None,
                    address,
                    f"Channel `{address}` was added",
                    address,
                )
            )
    _operations(old, new, out)
    _messages(old, new, out)
    return out


def _info(old: Contract, new: Contract, out: list[Change]) -> None:
    def info(contract: Contract) -> dict[str, object]:
        doc = contract.document if isinstance(contract.document, dict) else {}
        value = doc.get("info")
        return value if isinstance(value, dict) else {}

    before, after = info(old), info(new)
    if before.get("version") != after.get("version"):
        out.append(
            Change(
                R.INFO_VERSION_CHANGED,
                "#/info/version",
                before.get("version"),
                after.get("version"),
                f"info.version changed from {before.get('version')!r} to {after.get('version')!r}",
            )
        )
    if before.get("title") != after.get("title"):
        out.append(
            Change(
                R.INFO_TITLE_CHANGED,
                "#/info/title",
                before.get("title"),
                after.get("title"),
                "info.title changed",
            )
        )
    if before.get("description") != after.get("description"):
        out.append(
            Change(R.METADATA_CHANGED, "#/info/description", None, None, "info.description changed")
        )


def _operations(old: Contract, new: Contract, out: list[Change]) -> None:
    def address(contract: Contract, channel_key: str) -> str:
        channel = contract.channels.get(channel_key)
        return _address(channel) if channel is not None else channel_key

    for key, op in old.operations.items():
        new_op = new.operations.get(key)
        where = address(old, op.channel)
        if new_op is None:
            out.append(
                Change(
                    R.OPERATION_REMOVED,
                    op.pointer,
                    key,
                    None,
                    f"Operation `{key}` ({op.action} on `{where}`) was removed",
                    where,
                )
            )
            continue
        if new_op.action != op.action:
            out.append(
                Change(
                    R.OPERATION_ACTION_CHANGED,
                    f"{new_op.pointer}/action",
                    op.action,
                    new_op.action,
                    f"Operation `{key}` changed from {op.action} to {new_op.action}",
                    where,
                )
            )
        new_where = address(new, new_op.channel)
        if new_where != where:
            out.append(
                Change(
                    R.OPERATION_CHANNEL_CHANGED,
                    f"{new_op.pointer}/channel",
                    where,
                    new_where,
                    f"Operation `{key}` moved from channel `{where}` to `{new_where}`",
                    new_where,
                )
            )
        if new_op.description != op.description:
            out.append(
                Change(
                    R.METADATA_CHANGED,
                    f"{new_op.pointer}/description",
                    None,
                    None,
                    f"The description of operation `{key}` changed",
                    new_where,
                )
            )
    for key, op in new.operations.items():
        if key not in old.operations:
            where = address(new, op.channel)
            out.append(
                Change(
                    R.OPERATION_ADDED,
                    op.pointer,
                    None,
                    key,
                    f"Operation `{key}` ({op.action} on `{where}`) was added",
                    where,
                )
            )


def _messages(old: Contract, new: Contract, out: list[Change]) -> None:
    for pair in message_pairs(old, new):
        name = _name(pair.new)
        before, after = _content_type(old, pair.old), _content_type(new, pair.new)
        if before != after:
            out.append(
                Change(
                    R.CONTENT_TYPE_CHANGED,
                    f"{pair.new.pointer}/contentType",
                    before,
                    after,
                    f"The content type of `{name}` changed from {before} to {after}",
                    pair.channel,
                    name,
                )
            )
        for part, added, removed in (
            ("payload", R.PAYLOAD_ADDED, R.PAYLOAD_REMOVED),
            ("headers", R.HEADERS_ADDED, R.HEADERS_REMOVED),
        ):
            had, has = getattr(pair.old, part) is not None, getattr(pair.new, part) is not None
            if had != has:
                pointer = f"{(pair.new if has else pair.old).pointer}/{part}"
                out.append(
                    Change(
                        added if has else removed,
                        pointer,
                        None,
                        None,
                        f"`{name}` {'gained' if has else 'lost'} its {part} schema",
                        pair.channel,
                        name,
                    )
                )
        for attr in ("title", "summary", "description"):
            if getattr(pair.old, attr) != getattr(pair.new, attr):
                out.append(
                    Change(
                        R.METADATA_CHANGED,
                        f"{pair.new.pointer}/{attr}",
                        None,
                        None,
                        f"The {attr} of message `{name}` changed",
                        pair.channel,
                        name,
                    )
                )


def message_pairs(old: Contract, new: Contract) -> list[MessagePair]:
    """Messages present in both versions, each pair once.

    A message is matched on each channel both versions carry (by address), by its identity on
    that channel (name, else its key there): a channel's message keys are its own, so two
    channels' messages of one name are two messages. A message no such channel pairs is matched
    by name across the document, if that name picks one message in each version.
    """
    pairs: dict[tuple[str, str], MessagePair] = {}
    new_channels = _by_address(new)
    for channel in old.channels.values():
        address = _address(channel)
        new_channel = new_channels.get(address)
        if new_channel is None:
            continue
        new_msgs = _channel_messages(new, new_channel)
        for name, message in _channel_messages(old, channel).items():
            match = new_msgs.get(name)
            if match is not None:
                pairs.setdefault((message.key, match.key), MessagePair(message, match, address))
    paired_old = {key for key, _ in pairs}
    paired_new = {key for _, key in pairs}
    old_by_name = _unique_names(old)
    new_by_name = _unique_names(new)
    where = _first_channels(new)
    for name, message in old_by_name.items():
        match = new_by_name.get(name)
        if match is None or message.key in paired_old or match.key in paired_new:
            continue
        pairs[(message.key, match.key)] = MessagePair(message, match, where.get(match.key))
    order = {key: i for i, key in enumerate(old.messages)}  # the document's order, as before
    return sorted(pairs.values(), key=lambda pair: order[pair.old.key])


def _unique_names(contract: Contract) -> dict[str, Message]:
    """Messages by name, for the names that only one message of the document carries."""
    by_name: dict[str, list[Message]] = {}
    for message in contract.messages.values():
        by_name.setdefault(_name(message), []).append(message)
    return {name: found[0] for name, found in by_name.items() if len(found) == 1}


def _first_channels(contract: Contract) -> dict[str, str]:
    """Message.key -> the address of the first channel it flows on."""
    where: dict[str, str] = {}
    for channel in contract.channels.values():
        for key in channel.messages:
            where.setdefault(key, _address(channel))
    return where
