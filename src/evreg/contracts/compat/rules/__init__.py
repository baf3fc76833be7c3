"""Rules: the id of every change the engine reports, what it means, and which policy accepts it.

``ids`` names them (``RuleId``), ``catalogue`` judges them (``RULES``, ``STRICT_ACCEPTS``,
``LENIENT_ACCEPTS``), ``levels`` says what a check asks (``Level``, ``Policy``,
``Direction``). Whether a change breaks is decided here, by the policy, never inside the code
that detects the change.
"""

from evreg.contracts.compat.rules.catalogue import (
    LENIENT_ACCEPTS,
    RULES,
    STRICT_ACCEPTS,
    UNSOUND_IN_STRICT,
    Rule,
    is_breaking,
    may_reject,
    rule,
)
from evreg.contracts.compat.rules.ids import (
    BOUND_RULES,
    EXTRA_RULES,
    BoundRules,
    ExtraRules,
    RuleId,
)
from evreg.contracts.compat.rules.levels import Direction, Level, Policy

__all__ = [
    "BOUND_RULES",
    "EXTRA_RULES",
    "LENIENT_ACCEPTS",
    "RULES",
    "STRICT_ACCEPTS",
    "UNSOUND_IN_STRICT",
    "BoundRules",
    "Direction",
    "ExtraRules",
    "Level",
    "Policy",
    "Rule",
    "RuleId",
    "is_breaking",
    "may_reject",
    "rule",
]
