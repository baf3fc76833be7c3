"""The compatibility engine: diff -> changes -> policy -> report, with witnesses."""

from evreg.contracts.compat.check import check_compatibility
from evreg.contracts.compat.report import Change, Direction, Finding, Level, Policy, Report
from evreg.contracts.compat.rules import RULES, Rule

__all__ = [
    "RULES",
    "Change",
    "Direction",
    "Finding",
    "Level",
    "Policy",
    "Report",
    "Rule",
    "check_compatibility",
]
