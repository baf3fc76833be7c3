"""The pure core: the contract model, loaders and the compatibility engine. No I/O here."""

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
