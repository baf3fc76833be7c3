"""An AsyncAPI contract's endpoints: which application sends and receives on which channel
address, with which messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from evreg.contracts import Contract
from evreg.contracts.model import SchemaRef
from evreg.registry import errors

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
# What surrounds a name and is dropped: ECMA-262's white space that is not a control character
# (the OpenAPI document's pattern says the same, character for character, so a client and the
# server agree on which names are empty)
BLANKS = " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
CONTROLS = "\u0000-\u001f\u007f-\u009f"
APPLICATION_PATTERN = (
    f"^[{BLANKS}]*[^{BLANKS}{CONTROLS}]"
    f"(?:[^{CONTROLS}]{{0,{MAX_APPLICATION - 2}}}[^{BLANKS}{CONTROLS}])?[{BLANKS}]*$"
)
_BLANK = re.compile(f"^[{BLANKS}]+|[{BLANKS}]+$")
_CONTROL = re.compile(f"[{CONTROLS}]")


def application_parameter(value: str | None) -> str | None:
    """The ``application`` query parameter, checked: None when absent, else a name of 1 to 200
    characters without control characters (surrounding blanks dropped): exactly what
    ``APPLICATION_PATTERN`` matches."""
    if value is None:
        return None
    name = _BLANK.sub("", value)
    problem = None
    if _CONTROL.search(value):
        problem = "must not contain control characters"
    elif not name:
        problem = "must not be empty"
    elif len(name) > MAX_APPLICATION:
        problem = f"is {len(name)} characters long, the limit is {MAX_APPLICATION}"
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
