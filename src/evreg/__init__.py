"""evreg: a contract-first event schema registry, compatibility engine and code generator."""

from evreg.contracts import (
    Contract,
    ContractError,
    Finding,
    Level,
    Policy,
    Report,
    check_compatibility,
    load_contract,
)

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
