"""Rendering reports as text, JSON and GitHub annotations, from hand-made reports."""

from __future__ import annotations

import io
import json

from rich.console import Console

from evreg.cli import render
from evreg.contracts.compat import Direction, Finding, Level, Policy, Report

NEW_SOURCE = """\
{
  "type": "object",
  "required": ["customerId", "phone"],
  "properties": {
    "customerId": {"type": "string"},
    "phone": {"type": "string"}
  }
}
"""

REQUIRED = Finding(
    rule="REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    path="#/properties/phone",
    message="a required property was added: events written before lack `phone`",
    breaking=True,
    witness={"customerId": "c-1"},
    has_witness=True,
)
FORWARD = Finding(
    rule="ENUM_ARRAY_EXTENDED",
    path="#/properties/tier",
    message="the enum accepts more values, 50% more",
    breaking=True,
    direction=Direction.FORWARD,
    witness={"customerId": "c-1", "tier": "enterprise"},
    has_witness=True,
)
NO_WITNESS = Finding(
    rule="PATTERN_CHANGED",
    path="#/properties/customerId",
    message="the pattern changed",
    breaking=True,
    witness_note="no string found that one pattern accepts and the other rejects",
)
ACCEPTED = Finding(
    rule="DESCRIPTION_CHANGED",
    path="#",
    message="the description changed",
    breaking=False,
    channel="orders.placed",
    message_name="OrderPlaced",
)


def report(*findings: Finding, level: Level = Level.BACKWARD) -> Report:
    return Report(level=level, policy=Policy.STRICT, findings=findings)


def text(rep: Report, *, show_witness: bool = True) -> str:
    out = io.StringIO()
    console = Console(file=out, soft_wrap=True, highlight=False, color_system=None)
    render.report_text(
        rep, old="v1.json", new="v2.json", console=console, show_witness=show_witness
    )
    return out.getvalue()


def test_text_compatible_without_findings() -> None:
    out = text(report())
    assert out.startswith("COMPATIBLE  v1.json -> v2.json  (BACKWARD, policy STRICT)")
    assert "no changes found" in out


def test_text_breaking_with_witnesses() -> None:
    out = text(report(REQUIRED, FORWARD, NO_WITNESS, ACCEPTED, level=Level.FULL))
    lines = out.splitlines()
    assert lines[0].startswith("INCOMPATIBLE  v1.json -> v2.json  (FULL, policy STRICT)")
    assert "3 breaking, 1 accepted" in lines[0]
    assert (
        "  BREAKING  REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL  #/properties/phone" in lines
    )
    assert (
        "      witness: this event is valid under the old contract and rejected by the new one: "
        '{"customerId":"c-1"}' in lines
    )
    assert (
        "      witness: this event is valid under the new contract and rejected by the old one: "
        '{"customerId":"c-1","tier":"enterprise"}' in lines
    )
    assert any("(FORWARD" in line and "ENUM_ARRAY_EXTENDED" in line for line in lines)
    assert (
        "      witness: none (no string found that one pattern accepts and the other rejects)"
        in (lines)
    )
    assert "  ok        DESCRIPTION_CHANGED  #" in lines
    assert "      channel orders.placed, message OrderPlaced: the description changed" in lines


def test_text_no_witness() -> None:
    out = text(report(REQUIRED), show_witness=False)
    assert "BREAKING" in out
    assert "witness" not in out


def test_text_does_not_interpret_markup() -> None:
    finding = Finding(
        rule="ENUM_ARRAY_NARROWED",
        path="#/properties/tags",
        message="[bold]not markup[/bold]",
        breaking=True,
        witness={"tags": ["[red]x[/red]"]},
        has_witness=True,
    )
    out = text(report(finding))
    assert "[bold]not markup[/bold]" in out
    assert '{"tags":["[red]x[/red]"]}' in out


def test_json() -> None:
    rep = report(REQUIRED, ACCEPTED)
    data = json.loads(render.report_json(rep, old="v1.json", new="v2.json"))
    assert data == {"old": "v1.json", "new": "v2.json", **rep.to_dict()}
    assert data["is_compatible"] is False
    assert data["findings"][0]["witness"] == {"customerId": "c-1"}


def test_github_annotations() -> None:
    lines = render.report_github(
        report(REQUIRED, NO_WITNESS, ACCEPTED), new="schemas/v2.json", new_source=NEW_SOURCE
    )
    assert lines[0] == (
        "::error file=schemas/v2.json,line=6,title=REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        "::#/properties/phone: a required property was added: events written before lack `phone`"
        ' (witness: {"customerId":"c-1"} is valid under the old contract and rejected by the new'
        " one)"
    )
    assert lines[1].startswith("::error file=schemas/v2.json,line=5,title=PATTERN_CHANGED::")
    assert lines[1].endswith(
        "(no witness: no string found that one pattern accepts and the other rejects)"
    )
    assert lines[2] == (
        "::notice file=schemas/v2.json,line=1,title=DESCRIPTION_CHANGED::"
        "channel orders.placed, message OrderPlaced: #: the description changed"
    )


def test_github_escaping() -> None:
    assert render.workflow_command(
        "error", "50% done\nnext", file="a,b:c.yaml", line=3, title="T"
    ) == ("::error file=a%2Cb%3Ac.yaml,line=3,title=T::50%25 done%0Anext")
    line = render.report_github(report(FORWARD), new="v2.json", new_source="not: [json")[0]
    assert line.startswith("::error file=v2.json,title=ENUM_ARRAY_EXTENDED::")
    assert "50%25 more" in line
    assert "valid under the new contract and rejected by the old one" in line
