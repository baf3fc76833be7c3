"""Parsing what a client sends: versions, levels, policies, modes, subject names, and the text
the database can hold. Each refusal is the registry error the API maps to Confluent's code."""

from __future__ import annotations

import re

from evreg.contracts import Level, Policy
from evreg.registry import errors
from evreg.registry.store.identity import identity_fingerprint
from evreg.registry.values import MAX_SUBJECT_BYTES, MAX_VERSION, MODES, VersionSpec

_INTEGRAL = re.compile(r"(-1|[1-9][0-9]{0,9})(?:\.0+)?")

__all__ = [
    "check_subject_name",
    "identity_fingerprint",
    "known",
    "parse_level",
    "parse_mode",
    "parse_policy",
    "parse_version",
    "storable",
]


def parse_version(value: str | int, *, allow_minus_one: bool = True) -> VersionSpec:
    """``"latest"``, ``-1`` (latest) or 1..2^31-1; anything else is InvalidVersion (42202)."""
    if isinstance(value, str):
        if value == "latest":
            return "latest"
        found = _INTEGRAL.fullmatch(value)  # "12", or "12.0": JSON's integer 12 as text
        if found is None:
            raise errors.InvalidVersion(value)
        number = int(found.group(1))
    else:
        number = value
    if number == -1 and allow_minus_one:
        return "latest"
    if not 1 <= number <= MAX_VERSION:
        raise errors.InvalidVersion(value)
    return number


# Confluent's wording, to the letter (RestInvalidCompatibilityException)
INVALID_LEVEL = (
    "Invalid compatibility level. Valid values are none, backward, forward, full, "
    "backward_transitive, forward_transitive, and full_transitive"
)


def parse_level(value: object) -> Level:
    try:
        return Level(str(value).upper())
    except ValueError:
        raise errors.InvalidCompatibilityLevel(INVALID_LEVEL) from None


def parse_policy(value: object) -> Policy:
    try:
        return Policy(str(value).upper())
    except ValueError:
        choices = ", ".join(policy.value for policy in Policy)
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility policy {value!r}. Valid values are {choices}"
        ) from None


def parse_mode(value: object) -> str:
    mode = str(value).upper()
    if mode not in MODES:
        raise errors.InvalidMode(f"Invalid mode. Valid values are {', '.join(MODES)}")
    return mode


def storable(text: str) -> bool:
    """Can the database hold this text (no NUL, valid UTF-8 without lone surrogates)? Text that
    cannot names nothing stored: a read by it finds nothing."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def known(subject: str, *, missing_ok: bool = False) -> None:
    """A subject name that cannot be stored cannot exist: not found (for reads)."""
    if not storable(subject) and not missing_ok:
        raise errors.SubjectNotFound(subject)
    if not storable(subject):
        raise errors.InvalidSubject("Invalid subject: the name cannot be stored")


def check_subject_name(subject: str) -> None:
    """A subject name a write may create: not blank, no control characters, storable, at most
    :data:`MAX_SUBJECT_BYTES` bytes of UTF-8."""
    if not subject or not subject.strip():
        raise errors.InvalidSubject("Invalid subject: the subject name is empty")
    if any(ord(ch) < 0x20 for ch in subject) or not storable(subject):
        raise errors.InvalidSubject(
            "Invalid subject: control characters or invalid Unicode in the subject name"
        )
    if len(subject.encode("utf-8")) > MAX_SUBJECT_BYTES:
        raise errors.InvalidSubject(
            f"Invalid subject: the name is longer than {MAX_SUBJECT_BYTES} bytes (UTF-8)"
        )
