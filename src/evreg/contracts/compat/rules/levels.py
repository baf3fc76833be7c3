"""What a check asks: the compatibility level, the policy, and the direction of a pair."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Direction", "Level", "Policy"]


class Level(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        return self in _TRANSITIVE

    @property
    def checks_backward(self) -> bool:
        return self in _BACKWARD

    @property
    def checks_forward(self) -> bool:
        return self in _FORWARD


class Policy(StrEnum):
    STRICT = "STRICT"
    LENIENT = "LENIENT"


class Direction(StrEnum):
    """Which pair a finding comes from: the new version reading old data, or the reverse."""

    BACKWARD = "BACKWARD"  # reader = new version, writer = an earlier one
    FORWARD = "FORWARD"  # reader = an earlier version, writer = the new one


_TRANSITIVE = frozenset(lv for lv in Level if lv.value.endswith("_TRANSITIVE"))
_BACKWARD = frozenset(lv for lv in Level if lv.value.startswith(("BACKWARD", "FULL")))
_FORWARD = frozenset(lv for lv in Level if lv.value.startswith(("FORWARD", "FULL")))
