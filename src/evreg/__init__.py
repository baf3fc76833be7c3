"""evreg: a contract-first event schema registry, compatibility engine and code generator.

The public names are imported on first use (``evreg/_lazy.py``): ``import evreg`` alone (what
``evreg --version`` needs) does not load the engine.
"""

from evreg._lazy import lazy_attributes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from evreg.contracts.compat.check import check_compatibility
    from evreg.contracts.compat.report import Finding, Level, Policy, Report
    from evreg.contracts.errors import ContractError
    from evreg.contracts.loader import load_contract
    from evreg.contracts.model import Contract

__version__ = "0.1.0"

__all__ = [
    "Contract",
    "ContractError",
    "Finding",
    "Level",
    "Policy",
    "Report",
    "__version__",
    "check_compatibility",
    "load_contract",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "Contract": "evreg.contracts.model",
        "ContractError": "evreg.contracts.errors",
        "Finding": "evreg.contracts.compat.report",
        "Level": "evreg.contracts.compat.report",
        "Policy": "evreg.contracts.compat.report",
        "Report": "evreg.contracts.compat.report",
        "check_compatibility": "evreg.contracts.compat.check",
        "load_contract": "evreg.contracts.loader",
    },
)
