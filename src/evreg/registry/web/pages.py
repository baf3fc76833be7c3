"""What each UI page shows, as plain data: the HTML pages render it and the ``/api/ui`` twins
return it as JSON, so both always agree."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from evreg.contracts import Contract, ContractError, Level, Report
from evreg.contracts.payload_format import JSON_SCHEMA, format_of
from evreg.registry import errors
from evreg.registry.inputs import parse_level, storable
from evreg.registry.payloads import payload_subjects
from evreg.registry.service import RegistryService
from evreg.registry.usecases.views import Views, channel_entries, operation_entries
from evreg.registry.values import VersionSpec
from evreg.registry.web import queries
from evreg.registry.web.highlight import pretty
from evreg.registry.web.schema_table import property_rows

CONTEXT_LINES = 3


def _facts(service: RegistryService, subject: str) -> queries.SubjectFacts:
    facts = queries.subject_facts(service, subject)
    if facts is None:
        raise errors.SubjectNotFound(subject)
    return facts


def _table(ref: Any) -> dict[str, Any] | None:
    if ref is None:
        return None
    fmt = format_of(ref)
    if fmt is not JSON_SCHEMA:  # an Avro schema's fields, as the JSON Schema of its values
        shown = fmt.as_json_schema(ref)
        rows, truncated = property_rows(shown, shown, {})
        return {"pointer": ref.pointer, "rows": [r.to_dict() for r in rows], "truncated": truncated}
    rows, truncated = property_rows(ref.schema, ref.document, ref.resources)
    return {"pointer": ref.pointer, "rows": [r.to_dict() for r in rows], "truncated": truncated}


def sent_payload_subjects(contract: Contract, strategy: str) -> list[dict[str, Any]]:
    """The payload subjects a push of ``contract`` registers (named by ``strategy``, the
    registry's default: a version pushed with another ``?payloadSubjectStrategy=`` made others),
    with channel and messages; none when record names clash (such a push is refused)."""
    try:
        derived = payload_subjects(contract, strategy)
    except ContractError:
        return []
    return [
        {"subject": p.subject, "channel": p.channel, "messages": list(p.messages)} for p in derived
    ]


# ---------------------------------------------------------------- subject


def subject_view(service: RegistryService, subject: str) -> dict[str, Any]:
    facts = _facts(service, subject)
    live = [v for v in facts.versions if not v.deleted]
    latest = live[-1] if live else facts.versions[-1]
    payloads: list[dict[str, Any]] = []
    title = None
    if latest.schema_type == "ASYNCAPI":
        contract = Views(service).contract(latest.id)
        title = contract.title
        payloads = sent_payload_subjects(contract, service.payload_strategy)
        existing = queries.live_subjects(service, [p["subject"] for p in payloads])
        for entry in payloads:
            entry["registered"] = entry["subject"] in existing
    derived_from: list[dict[str, Any]] = []
    for version in facts.versions:
        origin = version.derived_from
        if origin and isinstance(origin.get("subject"), str):
            derived_from.append({**origin, "payloadVersion": version.version})
    return {
        "subject": subject,
        "title": title,
        "schemaType": latest.schema_type,
        "latest": latest.version,
        "level": facts.level,
        "levelSource": facts.level_source,
        "policy": facts.policy,
        "policySource": facts.policy_source,
        "mode": facts.mode,
        "versions": [v.to_dict() for v in reversed(facts.versions)],  # newest first
        "payloadSubjects": payloads,
        "derivedFrom": derived_from,
    }


# ---------------------------------------------------------------- version


def _examples_of(contract: Contract) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if contract.is_asyncapi:
        for message in contract.messages.values():
            for index, example in enumerate(message.examples):
                name = None
                if isinstance(example, dict):
                    name = example.get("name") or example.get("summary")
                out.append(
                    {
                        "message": message.key,
                        "name": str(name) if name else f"example {index + 1}",
                        "value": example,
                    }
                )
    elif isinstance(contract.document, dict) and isinstance(
        contract.document.get("examples"), list
    ):
        for index, example in enumerate(contract.document["examples"]):
            out.append({"message": None, "name": f"example {index + 1}", "value": example})
    return out


def version_view(service: RegistryService, subject: str, spec: VersionSpec) -> dict[str, Any]:
    if not storable(subject):
        raise errors.SubjectNotFound(subject)
    registered = service.get_version(subject, spec, deleted=spec != "latest")
    facts = _facts(service, subject)
    contract = Views(service).contract(registered.id)
    numbers = [v.version for v in facts.versions]
    index = numbers.index(registered.version) if registered.version in numbers else -1
    view: dict[str, Any] = {
        "subject": subject,
        "version": registered.version,
        "id": registered.id,
        "schemaType": registered.schema_type,
        "deleted": registered.deleted,
        "title": contract.title,
        "specVersion": contract.version,
        "references": [
            {"name": r.name, "subject": r.subject, "version": r.version}
            for r in registered.references
        ],
        "versions": numbers,
        "previous": numbers[index - 1] if index > 0 else None,
        "next": numbers[index + 1] if 0 <= index < len(numbers) - 1 else None,
        "latest": facts.versions[-1].version if facts.versions else registered.version,
        "channels": [],
        "operations": [],
        "messages": [],
        "schema": None,
        "examples": _examples_of(contract),
        "document": json.loads(registered.schema),
    }
    if contract.is_asyncapi:
        view["channels"] = channel_entries(contract, service.payload_strategy)
        view["operations"] = operation_entries(contract)
        view["messages"] = [
            {
                "key": m.key,
                "name": m.name,
                "title": m.title,
                "summary": m.summary,
                "description": m.description,
                "contentType": m.content_type,
                "payload": _table(m.payload),
                "headers": _table(m.headers),
            }
            for m in contract.messages.values()
        ]
    else:
        view["schema"] = _table(contract.schema)
    return view


# ---------------------------------------------------------------- diff


@dataclass(frozen=True, slots=True)
class DiffLine:
    old_number: int | None
    old: str | None
    new_number: int | None
    new: str | None
    tag: str  # equal, replace, delete, insert, skip (n unchanged lines folded)


def _comparable(lines: list[str]) -> list[str]:
    return [line.rstrip().removesuffix(",") for line in lines]


def side_by_side(old_text: str, new_text: str, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """Line pairs of two pretty documents; unchanged runs longer than ``2*context`` folded.

    Lines are compared without a trailing comma: ``"USD",`` and ``"USD"`` (the last item of a
    list that lost the one after it) are the same line, shown unchanged."""
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    matcher = difflib.SequenceMatcher(
        None, _comparable(old_lines), _comparable(new_lines), autojunk=False
    )
    out: list[DiffLine] = []
    opcodes = matcher.get_opcodes()
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            length = i2 - i1
            head = context if position > 0 else 0  # after the previous change
            tail = context if position < len(opcodes) - 1 else 0  # before the next one
            shown: list[int | None] = list(range(length))
            if len(opcodes) > 1 and length > head + tail + 1:
                shown = [*range(head), None, *range(length - tail, length)]
            for k in shown:
                if k is None:
                    folded = length - head - tail
                    out.append(DiffLine(None, None, None, None, f"skip:{folded}"))
                else:
                    out.append(
                        DiffLine(i1 + k + 1, old_lines[i1 + k], j1 + k + 1, new_lines[j1 + k], tag)
                    )
            continue
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            i, j = i1 + k, j1 + k
            out.append(
                DiffLine(
                    i + 1 if i < i2 else None,
                    old_lines[i] if i < i2 else None,
                    j + 1 if j < j2 else None,
                    new_lines[j] if j < j2 else None,
                    tag,
                )
            )
    return out


def _finding_order(finding: dict[str, Any]) -> tuple[int, str, str]:
    return (0 if finding["breaking"] else 1, str(finding["path"]), str(finding["rule"]))


def diff_view(
    service: RegistryService,
    subject: str,
    old: VersionSpec,
    new: VersionSpec,
    *,
    level: str | None = None,
    policy: str | None = None,
) -> dict[str, Any]:
    """Two versions side by side and every finding of ``new`` after ``old``."""
    if not storable(subject):
        raise errors.SubjectNotFound(subject)
    facts = _facts(service, subject)
    note = None
    chosen = parse_level(level).value if level else facts.level
    if chosen == Level.NONE.value:
        note = (
            "The subject's level is NONE, so the registry checks nothing on registration; "
            "the findings below are what BACKWARD would report."
            if not level
            else "Level NONE reports no change: pick another level to see the findings."
        )
        if not level:
            chosen = Level.BACKWARD.value
    older = service.get_version(subject, old, deleted=True)
    newer = service.get_version(subject, new, deleted=True)
    report: Report = Views(service).diff(
        subject, older.version, newer.version, level=chosen, policy=policy
    )
    findings = sorted((f.to_dict() for f in report.findings), key=_finding_order)
    return {
        "subject": subject,
        "from": older.version,
        "to": newer.version,
        "fromId": older.id,
        "toId": newer.id,
        "versions": [v.version for v in facts.versions],
        "subjectLevel": facts.level,
        "note": note,
        "report": {
            "is_compatible": report.is_compatible,
            "level": report.level.value,
            "policy": report.policy.value,
            "findings": findings,
        },
        "breaking": sum(1 for f in findings if f["breaking"]),
        "old": pretty(json.loads(older.schema)),
        "new": pretty(json.loads(newer.schema)),
    }
