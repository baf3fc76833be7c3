"""docs/compatibility.md lists every rule of the catalogue, with the catalogue's verdicts.

The rule tables in the doc (headed ``| Rule | ...``) have one row per rule:
`` | `RULE_ID` | purpose | a | b | ``, where ``a``/``b`` are STRICT/LENIENT for JSON Schema rules
and BACKWARD/FORWARD for AsyncAPI rules, each "accepted" or "**breaking**". When a rule is added
or its verdict changes, this test fails and prints the rows the doc should have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evreg.contracts.compat import RULES, Direction, Rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$")


def _verdict(accepted: bool) -> str:
    return "accepted" if accepted else "**breaking**"


def _expected_row(rule: Rule) -> str:
    if rule.family == "asyncapi":
        a = _verdict(Direction.BACKWARD not in rule.breaks_in)
        b = _verdict(Direction.FORWARD not in rule.breaks_in)
    else:
        a, b = _verdict(rule.strict_ok), _verdict(rule.lenient_ok)
    return f"| `{rule.id}` | {rule.purpose} | {a} | {b} |"


def _documented_rows() -> dict[str, list[str]]:
    """rule id -> the cells after the id, for every row of a table headed `| Rule | ...`."""
    rows: dict[str, list[str]] = {}
    header: str | None = None  # first cell of the header of the table we are in
    for raw in DOC.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = line.strip("|").split("|")[0].strip()
            continue
        match = ROW.match(line)
        if header == "Rule" and match:
            rows.setdefault(match.group(1), [c.strip() for c in match.group(2).split("|")])
    return rows


def test_every_rule_is_documented() -> None:
    rows = _documented_rows()
    missing = [rid for rid in RULES if rid not in rows]
    assert not missing, "add these rows to docs/compatibility.md:\n" + "\n".join(
        _expected_row(RULES[rid]) for rid in missing
    )


def test_documented_rules_exist() -> None:
    unknown = sorted(set(_documented_rows()) - set(RULES))
    assert not unknown, f"docs/compatibility.md documents rules that do not exist: {unknown}"


@pytest.mark.parametrize("rule_id", list(RULES))
def test_documented_verdicts_match_the_catalogue(rule_id: str) -> None:
    cells = _documented_rows().get(rule_id)
    if cells is None:
        pytest.skip("not documented (reported by test_every_rule_is_documented)")
    rule = RULES[rule_id]
    want = _expected_row(rule)
    assert len(cells) == 3, f"expected `| id | purpose | verdict | verdict |`, write:\n{want}"
    if rule.family == "asyncapi":
        verdicts = [
            Direction.BACKWARD not in rule.breaks_in,
            Direction.FORWARD not in rule.breaks_in,
        ]
    else:
        verdicts = [rule.strict_ok, rule.lenient_ok]
    assert cells[1:] == [_verdict(v) for v in verdicts], f"the row should read:\n{want}"
