"""Turn reports and the rule catalogue into output: rich text for people, JSON for programs,
GitHub workflow commands for pull-request annotations. Nothing here decides a verdict."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.text import Text

from evreg.cli.locate import line_of
from evreg.contracts.compat import Direction, Finding, Report, Rule


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class RulesFormat(StrEnum):
    text = "text"
    json = "json"


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def witness_claim(direction: Direction) -> str:
    """What a witness proves, in words, for the pair a finding comes from."""
    if direction is Direction.FORWARD:
        return "valid under the new contract and rejected by the old one"
    return "valid under the old contract and rejected by the new one"


def _where(finding: Finding) -> str:
    parts = []
    if finding.channel:
        parts.append(f"channel {finding.channel}")
    if finding.message_name:
        parts.append(f"message {finding.message_name}")
    return ", ".join(parts)


# -- compatibility reports ----------------------------------------------------------------


def report_text(
    report: Report, *, old: str, new: str, console: Console, show_witness: bool = True
) -> None:
    breaking = len(report.breaking)
    header = Text()
    if report.is_compatible:
        header.append("COMPATIBLE", style="bold green")
    else:
        header.append("INCOMPATIBLE", style="bold red")
    header.append(f"  {old} -> {new}  ({report.level.value}, policy {report.policy.value}): ")
    if not report.findings:
        header.append("no changes found")
    else:
        header.append(f"{breaking} breaking, {len(report.findings) - breaking} accepted")
    console.print(header)

    for finding in report.findings:
        console.print()
        line = Text("  ")
        if finding.breaking:
            line.append("BREAKING", style="bold red")
        else:
            line.append("ok      ", style="green")
        line.append(f"  {finding.rule}", style="bold")
        line.append(f"  {finding.path}", style="cyan")
        if finding.direction is Direction.FORWARD:
            line.append("  (FORWARD: the old contract reads new events)", style="dim")
        console.print(line)
        where = _where(finding)
        message = f"{where}: {finding.message}" if where else finding.message
        console.print(Text(f"      {message}"))
        if finding.breaking and show_witness:
            if finding.has_witness:
                console.print(
                    Text(
                        f"      witness: this event is {witness_claim(finding.direction)}: "
                        f"{compact_json(finding.witness)}",
                        style="yellow",
                    )
                )
            else:
                note = finding.witness_note or "no witness could be built"
                console.print(Text(f"      witness: none ({note})", style="dim"))


def report_json(report: Report, *, old: str, new: str) -> str:
    return pretty_json({"old": old, "new": new, **report.to_dict()})


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_command(
    kind: str, message: str, *, file: str, line: int | None = None, title: str | None = None
) -> str:
    """One GitHub Actions workflow command (``::error file=…,line=…,title=…::message``)."""
    props = [f"file={_escape_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    if title is not None:
        props.append(f"title={_escape_property(title)}")
    return f"::{kind} {','.join(props)}::{_escape_data(message)}"


def report_github(
    report: Report,
    *,
    new: str,
    new_source: str,
    show_witness: bool = True,
    context: str | None = None,
) -> list[str]:
    """One annotation per finding, on the line of ``new`` its pointer names (or the nearest);
    ``context`` (e.g. the payload subject that refuses it) starts each message."""
    lines = []
    for finding in report.findings:
        where = _where(finding)
        message = f"{finding.path}: {finding.message}"
        if where:
            message = f"{where}: {message}"
        if context:
            message = f"{context}: {message}"
        if finding.breaking and show_witness:
            if finding.has_witness:
                message += (
                    f" (witness: {compact_json(finding.witness)} is"
                    f" {witness_claim(finding.direction)})"
                )
            elif finding.witness_note:
                message += f" (no witness: {finding.witness_note})"
        lines.append(
            workflow_command(
                "error" if finding.breaking else "notice",
                message,
                file=new,
                line=line_of(new_source, finding.path),
                title=finding.rule,
            )
        )
    return lines


# -- the rule catalogue --------------------------------------------------------------------


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id, "family": rule.family, "purpose": rule.purpose}
    if rule.family == "asyncapi":
        out["breaks_in"] = _direction_names(rule.breaks_in)
    else:
        out["strict"] = "accepted" if rule.strict_ok else "breaking"
        out["lenient"] = "accepted" if rule.lenient_ok else "breaking"
    return out


def rules_json(rules: Mapping[str, Rule]) -> str:
    return pretty_json([rule_to_dict(r) for r in rules.values()])


def _verdict(ok: bool) -> Text:
    return Text("accepted", style="green") if ok else Text("breaking", style="red")


def rules_text(rules: Mapping[str, Rule], *, console: Console) -> None:
    json_rules = [r for r in rules.values() if r.family == "jsonschema"]
    asyncapi_rules = [r for r in rules.values() if r.family == "asyncapi"]
    avro_rules = [r for r in rules.values() if r.family == "avro"]
    _policy_rules(
        console,
        json_rules,
        f"JSON Schema rules ({len(json_rules)}): is the change accepted for a reader of "
        "the new version reading data written with the old one, under each policy?",
    )

    if asyncapi_rules:
        if json_rules:
            console.print()
        width = max(len(r.id) for r in asyncapi_rules)
        console.print(
            Text(
                f"AsyncAPI rules ({len(asyncapi_rules)}): document-level, named for the evolution "
                "old -> new; the same under every policy, breaking in the directions listed",
                style="bold",
            )
        )
        console.print(Text(f"{'RULE':<{width}}  BREAKS IN          PURPOSE", style="dim"))
        for r in asyncapi_rules:
            directions = ", ".join(_direction_names(r.breaks_in)) or "never"
            line = Text(f"{r.id:<{width}}  ")
            line.append(f"{directions:<17}", style="red" if r.breaks_in else "green")
            line.append(f"  {r.purpose}")
            console.print(line)
    if avro_rules:
        console.print()
        _policy_rules(
            console,
            avro_rules,
            f"Avro rules ({len(avro_rules)}): Avro's schema resolution, reader against writer, "
            "under each policy",
        )


def _policy_rules(console: Console, rules: list[Rule], title: str) -> None:
    if not rules:
        return
    width = max(len(r.id) for r in rules)
    console.print(Text(title, style="bold"))
    console.print(Text(f"{'RULE':<{width}}  STRICT    LENIENT   PURPOSE", style="dim"))
    for r in rules:
        line = Text(f"{r.id:<{width}}  ")
        line.append_text(_verdict(r.strict_ok))
        line.append("  ")
        line.append_text(_verdict(r.lenient_ok))
        line.append(f"  {r.purpose}")
        console.print(line)


def _direction_names(directions: Iterable[Direction]) -> list[str]:
    return sorted(d.value for d in directions)


def consumer_findings_text(
    findings: Sequence[Mapping[str, Any]], *, mode: str, console: Console
) -> None:
    """Consumer-aware findings (``/api/.../consumer-check``, ``/api/can-i-deploy``)."""
    label = "BLOCKED" if mode == "block" else "CONSUMER"
    for item in findings:
        line = Text(f"  {label}", style="bold red" if mode == "block" else "bold yellow")
        line.append(f"  {item.get('text', '')}")
        console.print(line)
        finding = item.get("finding") or {}
        if "witness" in finding and finding.get("witness") is not None:
            console.print(
                Text(
                    f"      witness: {item.get('producer')} may send this event and "
                    f"{item.get('consumer')} rejects it: {compact_json(finding['witness'])}"
                )
            )
        elif finding.get("witness_note"):
            console.print(Text(f"      witness: {finding['witness_note']}"))


def consumer_findings_github(
    findings: Sequence[Mapping[str, Any]], *, mode: str, file: str, source: str
) -> list[str]:
    """``::error``/``::warning`` annotations for consumer-aware findings."""
    out = []
    for item in findings:
        finding = item.get("finding") or {}
        message = str(item.get("text", ""))
        if finding.get("witness") is not None:
            message += f" (witness: {compact_json(finding['witness'])})"
        out.append(
            workflow_command(
                "error" if mode == "block" else "warning",
                message,
                file=file,
                line=line_of(source, str(finding.get("path", ""))),
                title=f"evreg: consumer {item.get('consumer')} on {item.get('channel')}",
            )
        )
    return out
