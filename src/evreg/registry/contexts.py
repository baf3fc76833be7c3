"""Confluent's schema contexts: subject names qualified with a context, ``:.staging:orders``.

A context is a namespace of subjects and schema ids. Its name starts with a dot; the default
context is ``"."``, whose subjects are written without a qualifier (``orders``, which
``:.:orders`` also names). A subject name that starts with ``:.`` is qualified:
``:<context>:<name>``; ``:<context>:`` alone (an empty name) is the context itself, what its
context-level config and mode are set on. ``:*:`` is Confluent's "every context" prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from evreg.registry import errors
from evreg.registry.store.identity import DEFAULT_CONTEXT

WILDCARD = ":*:"
MAX_CONTEXT_CHARS = 255

__all__ = ["DEFAULT_CONTEXT", "WILDCARD", "Qualified", "context_key", "qualify", "split"]


@dataclass(frozen=True, slots=True)
class Qualified:
    context: str  # "." or ".name"
    name: str  # the subject within the context ("" for the context itself)

    @property
    def subject(self) -> str:
        """The subject as evreg stores it: unqualified in the default context."""
        return qualify(self.context, self.name)

    @property
    def is_default(self) -> bool:
        return self.context == DEFAULT_CONTEXT


def split(subject: str) -> Qualified:
    """``:.staging:orders`` -> (``.staging``, ``orders``); ``orders`` -> (``.``, ``orders``).

    A qualified name with a malformed context (``:.:``-less, control characters, a colon) is
    an invalid subject (42208), never stored as a literal name."""
    if not subject.startswith(":."):
        return Qualified(DEFAULT_CONTEXT, subject)
    end = subject.find(":", 1)
    context, name = (subject[1:], "") if end < 0 else (subject[1:end], subject[end + 1 :])
    check_context(context)
    return Qualified(context, name)


def check_context(context: str) -> None:
    """A context name: ``.`` or a dot and at most 255 characters, no colon or control one."""
    if not context.startswith(".") or len(context) > MAX_CONTEXT_CHARS + 1:
        raise errors.InvalidSubject(f"Invalid context {context!r}: a context is '.' or '.name'")
    if context != DEFAULT_CONTEXT and (
        context == ".." or any(ch == ":" or ord(ch) < 0x20 for ch in context)
    ):
        raise errors.InvalidSubject(
            f"Invalid context {context!r}: no colon or control characters in a context name"
        )


def qualify(context: str, name: str) -> str:
    """The stored subject of ``name`` in ``context`` (unqualified in the default context)."""
    return name if context == DEFAULT_CONTEXT else f":{context}:{name}"


def context_key(context: str) -> str:
    """The key of a context's own config and mode (``:.staging:``); the default context has
    none of its own (its settings are the global ones)."""
    return f":{context}:"


def reference_subject(referrer: str, subject: str) -> str:
    """The subject a reference names: qualified as written, else in the referrer's context
    (as Confluent resolves references inside a context)."""
    if subject.startswith(":."):
        return split(subject).subject
    return qualify(split(referrer).context, subject)
