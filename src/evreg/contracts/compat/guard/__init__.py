"""The semantic guard on COMPATIBLE verdicts: a bounded counterexample search steered by the
points where two schemas differ (``points``), run by ``search.counterexample``; whole-schema
inclusions proven once and reused, transitively, by ``known``."""

from evreg.contracts.compat.guard.known import PROVER, KnownInclusions
from evreg.contracts.compat.guard.search import (
    GUARD,
    MAX_POINTS,
    GuardBudget,
    counterexample,
    included,
)

__all__ = [
    "GUARD",
    "MAX_POINTS",
    "PROVER",
    "GuardBudget",
    "KnownInclusions",
    "counterexample",
    "included",
]
