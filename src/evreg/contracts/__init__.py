"""The pure core: the contract model, loaders and the compatibility engine. No I/O here.

The names below are imported on first use (``evreg/_lazy.py``), so that importing a light
module of the core (``evreg.contracts.errors``, ``evreg.contracts.compat.report``) does not load
the engine, jsonschema or yaml.
"""

from evreg._lazy import lazy_attributes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from evreg.contracts.compat.check import check_compatibility
    from evreg.contracts.compat.report import Finding, Level, Policy, Report
    from evreg.contracts.errors import ContractError
    from evreg.contracts.loader import load_contract
    from evreg.contracts.model import Contract, ContractKind

__all__ = [
    "Contract",
    "ContractError",
    "ContractKind",
    "Finding",
    "Level",
    "Policy",
    "Report",
    "check_compatibility",
    "load_contract",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "Contract": "evreg.contracts.model",
        "ContractError": "evreg.contracts.errors",
        "ContractKind": "evreg.contracts.model",
        "Finding": "evreg.contracts.compat.report",
        "Level": "evreg.contracts.compat.report",
        "Policy": "evreg.contracts.compat.report",
        "Report": "evreg.contracts.compat.report",
        "check_compatibility": "evreg.contracts.compat.check",
        "load_contract": "evreg.contracts.loader",
    },
)
