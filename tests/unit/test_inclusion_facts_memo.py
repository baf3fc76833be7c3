"""The inclusion proof reads a writer conjunction's facts once per check (``Inclusion._facts``,
keyed by the identities of its members, in their order). The memo only saves work: every report
is the same as with facts read afresh for each question, on every golden rule case, in both
directions and under both policies, witnesses and the semantic guard included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evreg import check_compatibility
from evreg.contracts.compat.proofs import inclusion
from evreg.contracts.compat.proofs.inclusion import Inclusion
from evreg.contracts.compat.proofs.writer_facts import Members, Writer
from golden_cases import read_case

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "rules"


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(GOLDEN.glob("*/case.yaml")):
        case = read_case(path)
        if isinstance(case, dict) and "old" in case and "new" in case:
            out.append((path.parent.name, case))
    return out


CASES = _cases()


def _fresh(self: Inclusion, members: Members) -> Writer:
    """The facts read afresh for each question (no memo)."""
    return Writer(members, self._version, self._writer_quick)


def _reports(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        check_compatibility(case["old"], case["new"], "FULL", policy).to_dict()
        for policy in ("STRICT", "LENIENT")
    ]


def test_there_are_cases() -> None:
    assert len(CASES) > 100


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_the_facts_memo_changes_no_report(
    name: str, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    memoised = _reports(case)
    monkeypatch.setattr(inclusion.Inclusion, "_facts", _fresh)
    assert _reports(case) == memoised


def test_the_memo_is_used_and_keyed_by_the_members_in_order() -> None:
    from evreg import load_contract

    contract = load_contract({"type": "object", "properties": {"a": {"type": "string"}}})
    assert contract.schema is not None
    proof = Inclusion(contract.schema, contract.schema)
    one, two = {"type": "string"}, {"maxLength": 3}
    assert proof._facts((one, two)) is proof._facts((one, two))
    assert proof._facts((two, one)) is not proof._facts((one, two))
    assert proof._facts((one,)).types() == frozenset({"string"})
