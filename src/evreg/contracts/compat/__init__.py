"""The compatibility engine: diff -> changes -> policy -> report, with witnesses.

Sub-packages, from the bottom up: ``rules`` (rule ids, the catalogue, levels and policies),
``report`` (what a check returns), ``diff`` (schemas and documents into rule-named changes),
``witness`` (events that prove a change breaks); ``check`` puts them together.

The names below are imported on first use (``evreg/_lazy.py``): the report types and the rule
catalogue are light, the engine (``check``) is not.
"""

from evreg._lazy import lazy_attributes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from evreg.contracts.compat.check import check_compatibility, check_pairs, check_reader
    from evreg.contracts.compat.report import Change, Direction, Finding, Level, Policy, Report
    from evreg.contracts.compat.rules import RULES, Rule, RuleId

__all__ = [
    "RULES",
    "Change",
    "Direction",
    "Finding",
    "Level",
    "Policy",
    "Report",
    "Rule",
    "RuleId",
    "check_compatibility",
    "check_pairs",
    "check_reader",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "RULES": "evreg.contracts.compat.rules",
        "Change": "evreg.contracts.compat.report",
        "Direction": "evreg.contracts.compat.report",
        "Finding": "evreg.contracts.compat.report",
        "Level": "evreg.contracts.compat.report",
        "Policy": "evreg.contracts.compat.report",
        "Report": "evreg.contracts.compat.report",
        "Rule": "evreg.contracts.compat.rules",
        "RuleId": "evreg.contracts.compat.rules",
        "check_compatibility": "evreg.contracts.compat.check",
        "check_pairs": "evreg.contracts.compat.check",
        "check_reader": "evreg.contracts.compat.check",
    },
)
