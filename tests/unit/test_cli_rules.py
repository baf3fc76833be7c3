"""``evreg rules``: the catalogue as text and JSON."""

from __future__ import annotations

import json

import pytest

from evreg.cli.main import main
from evreg.contracts.compat import RULES, Direction, Policy


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["rules", *args])
    return code, capsys.readouterr().out


def test_json_lists_every_rule_with_its_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--format", "json")
    assert code == 0
    entries = json.loads(out)
    assert [e["id"] for e in entries] == list(RULES)
    for entry in entries:
        rule = RULES[entry["id"]]
        assert entry["family"] == rule.family
        assert entry["purpose"] == rule.purpose
        if rule.family == "asyncapi":
            assert set(entry["breaks_in"]) == {d.value for d in rule.breaks_in}
        else:
            assert entry["strict"] == ("accepted" if rule.accepted(Policy.STRICT) else "breaking")
            assert entry["lenient"] == ("accepted" if rule.accepted(Policy.LENIENT) else "breaking")


def test_text_has_one_line_per_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys)
    assert code == 0
    lines = out.splitlines()
    for rule in RULES.values():
        [line] = [ln for ln in lines if ln.split() and ln.split()[0] == rule.id]
        assert line.endswith(rule.purpose)
        if rule.family in ("jsonschema", "avro"):
            strict, lenient = line.split()[1:3]
            assert strict == ("accepted" if rule.strict_ok else "breaking")
            assert lenient == ("accepted" if rule.lenient_ok else "breaking")
        elif rule.breaks_in:
            assert all(d.value in line for d in rule.breaks_in)
        else:
            assert " never " in line
    # A rule that only breaks one way says so.
    [added] = [ln for ln in lines if ln.startswith("MESSAGE_ADDED ")]
    assert Direction.FORWARD.value in added
    assert Direction.BACKWARD.value not in added


def test_text_matches_format_flag_case_insensitively(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--format", "JSON")
    assert code == 0
    assert json.loads(out)
