"""check_compatibility (stub: being written)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evreg.contracts.compat.report import Level, Policy, Report
from evreg.contracts.model import Contract

ContractLike = Contract | Mapping[str, Any] | str | bytes | bool


def check_compatibility(
    previous: ContractLike | Sequence[ContractLike],
    current: ContractLike,
    level: Level | str = "BACKWARD",
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
) -> Report:
    raise NotImplementedError
