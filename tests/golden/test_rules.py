"""Golden cases for the compatibility engine: one folder per rule.

Each folder under ``tests/golden/rules/`` holds a ``case.yaml``: an ``old`` and a ``new``
contract (JSON Schema, or AsyncAPI under ``rules/asyncapi/``), optionally a ``level`` (default
BACKWARD) and a ``policy`` (default STRICT), and what the engine must report:

``expected.compatible``
    the verdict (``Report.is_compatible``).
``check``
    ``reader`` (JSON Schema cases only): ask the direct reader question
    (``check_reader(writer=old, reader=new)``, as consumer-aware checks do) instead of a
    version check; for rules only that question reports.
``expected.changes``
    the exact set of ``"RULE #/pointer"`` findings; or ``expected.rules``, the exact set of rule
    ids, where a case does not pin the pointers (some AsyncAPI document-level rules).
``expected.witness``
    for incompatible cases: ``required`` (every breaking finding carries a witness),
    ``none`` (no witness can exist: breaking findings carry none, and say why) or ``optional``;
    ``witness_reason`` explains ``none``/``optional``.
``expected.witnessed``
    findings that must carry a witness even though the policy accepts them (the verdict of the
    policy table is kept, but the finding still shows the instance that proves it unsound).
``expected.example_witness``
    an instance the case's author checked by hand (``example_witness_at``: where the payload or
    headers schema sits, for AsyncAPI): it proves that a witness exists. It is checked here,
    without the engine; the engine may report any other witness.

A folder is named after the rule it shows (``MAX_LENGTH_DECREASED``); variants of the same rule
add a suffix (``MAX_LENGTH_DECREASED__forward``). Every witness the engine reports is re-validated
here with ``jsonschema`` (the schema's draft; draft-07 for AsyncAPI payloads, with ``$ref``s
resolved over the whole document): valid under the writer, invalid under the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry
from referencing.jsonschema import DRAFT7

import evreg
from evreg.contracts.compat import RULES, Direction, Finding, Level, Policy, Report
from evreg.contracts.compat.check import check_reader
from evreg.contracts.compat.rules import is_breaking

RULES_DIR = Path(__file__).parent / "rules"
ASYNCAPI_DIR = RULES_DIR / "asyncapi"

# Rule ids without a golden case: `confluent:reserved` metadata is optional and not implemented;
# PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL is a retired name (listed in case it comes back).
SKIPPED = frozenset(
    {
        "RESERVED_PROPERTY_REMOVED",
        "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    }
)

CASE_KEYS = frozenset({"description", "old", "new", "level", "policy", "check", "expected"})
EXPECTED_KEYS = frozenset(
    {
        "compatible",
        "changes",
        "rules",
        "witness",
        "witness_reason",
        "witnessed",
        "example_witness",
        "example_witness_at",
    }
)
WITNESS_MODES = frozenset({"required", "none", "optional"})
CHANGE = re.compile(r"^([A-Z][A-Z0-9_]*) (#/.*)$")
DOC_URI = "urn:evreg:golden-document"

CASE_DIRS = sorted(p.parent for p in RULES_DIR.rglob("case.yaml"))


def _case_id(folder: Path) -> str:
    return folder.relative_to(RULES_DIR).as_posix()


def _rule_of(folder: Path) -> str:
    return folder.name.split("__", 1)[0]


def _is_asyncapi(folder: Path) -> bool:
    return folder.parent == ASYNCAPI_DIR


def _load(folder: Path) -> dict[str, Any]:
    case = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{_case_id(folder)}: case.yaml is not a mapping"
    return case


def _level(case: Mapping[str, Any]) -> Level:
    return Level(case.get("level", "BACKWARD"))


def _policy(case: Mapping[str, Any]) -> Policy:
    return Policy(case.get("policy", "STRICT"))


def _directions(level: Level) -> list[Direction]:
    out = []
    if level.checks_backward:
        out.append(Direction.BACKWARD)
    if level.checks_forward:
        out.append(Direction.FORWARD)
    return out


def _versions(value: Any) -> list[Any]:
    """``old`` may list several earlier versions (for the transitive levels)."""
    return list(value) if isinstance(value, list) else [value]


def _writers_readers(case: Mapping[str, Any], direction: Direction) -> tuple[list[Any], list[Any]]:
    olds, new = _versions(case["old"]), [case["new"]]
    return (olds, new) if direction is Direction.BACKWARD else (new, olds)


# --- validation of witnesses ---------------------------------------------------------------


def _json_validator(schema: Any) -> Validator:
    cls = validator_for(schema, default=Draft202012Validator)
    return cls(schema)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _split(pointer: str) -> list[str]:
    assert pointer.startswith("#/") or pointer == "#", f"not a '#/' pointer: {pointer!r}"
    body = pointer[2:]
    return [_unescape(t) for t in body.split("/")] if body else []


def _locate(doc: Any, tokens: Sequence[str]) -> list[str] | None:
    """Walk ``tokens`` through ``doc``, following local ``$ref``s on the way.

    Returns the tokens of where the node really sits (so that ``$ref``s inside it resolve
    against the whole document), or None when the document has no such node.
    """
    node, real = doc, []
    for token in tokens:
        node, real = _follow_refs(doc, node, real)
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
        real = [*real, token]
    node, real = _follow_refs(doc, node, real)
    return real


def _follow_refs(doc: Any, node: Any, real: list[str]) -> tuple[Any, list[str]]:
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#") or ref in seen:
            break
        seen.add(ref)
        target = doc
        real = _split(ref)
        for token in real:
            target = target[int(token)] if isinstance(target, list) else target[token]
        node = target
    return node, real


def _message_part(pointer: str) -> str | None:
    """The pointer of the payload/headers schema a finding's pointer lies in, if any."""
    tokens = _split(pointer)
    for i, token in enumerate(tokens):
        if token not in ("payload", "headers"):
            continue
        in_message = (i >= 2 and tokens[i - 2] == "messages") or (
            i >= 1 and tokens[i - 1] == "message"
        )
        if in_message:
            return "#/" + "/".join(_escape(t) for t in tokens[: i + 1])
    return None


def _asyncapi_validator(doc: Any, part: str) -> Validator:
    """A validator for the schema at ``part`` in ``doc``; a missing schema accepts anything."""
    real = _locate(doc, _split(part))
    if real is None:
        return Draft7Validator(True)
    registry: Registry = Registry().with_resource(DOC_URI, DRAFT7.create_resource(doc))
    ref = DOC_URI + "#/" + "/".join(_escape(t) for t in real)
    return Draft7Validator({"$ref": ref}, registry=registry)


def _check_witness(
    instance: Any,
    writers: Iterable[Any],
    readers: Iterable[Any],
    *,
    part: str | None = None,
) -> str | None:
    """None if ``instance`` is valid under some writer and invalid under some reader."""

    def validator(doc: Any) -> Validator:
        return _json_validator(doc) if part is None else _asyncapi_validator(doc, part)

    if not any(validator(w).is_valid(instance) for w in writers):
        return f"witness {instance!r} is not valid under the writer"
    if all(validator(r).is_valid(instance) for r in readers):
        return f"witness {instance!r} is valid under the reader"
    return None


def _verify_finding_witness(
    case: Mapping[str, Any], finding: Finding, asyncapi: bool
) -> str | None:
    writers, readers = _writers_readers(case, finding.direction)
    if not asyncapi:
        return _check_witness(finding.witness, writers, readers)
    part = _message_part(finding.path)
    if part is None:
        return f"cannot verify a witness on a document-level finding ({finding.path})"
    return _check_witness(finding.witness, writers, readers, part=part)


# --- the case files themselves (no engine needed) ------------------------------------------


@pytest.mark.parametrize("folder", CASE_DIRS, ids=_case_id)
def test_case_is_well_formed(folder: Path) -> None:
    case = _load(folder)
    asyncapi = _is_asyncapi(folder)
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    assert {"description", "old", "new", "expected"} <= set(case)
    assert isinstance(case["description"], str) and case["description"].strip()
    assert _rule_of(folder) in RULES, f"folder {folder.name} is not named after a rule id"
    level, policy = _level(case), _policy(case)
    if "check" in case:
        assert case["check"] == "reader" and not asyncapi and "level" not in case
        assert not isinstance(case["old"], list), "a reader check compares two schemas"

    for doc in [*_versions(case["old"]), case["new"]]:
        if asyncapi:
            assert isinstance(doc, dict) and str(doc.get("asyncapi", "")).startswith(("2.", "3."))
        else:
            assert not (isinstance(doc, dict) and "asyncapi" in doc)
            validator_for(doc, default=Draft202012Validator).check_schema(doc)

    expected = case["expected"]
    assert isinstance(expected, dict)
    assert set(expected) <= EXPECTED_KEYS, f"unknown keys {set(expected) - EXPECTED_KEYS}"
    assert ("changes" in expected) != ("rules" in expected), "give either changes or rules"
    if not asyncapi:
        assert "changes" in expected, "JSON Schema cases list exact changes"
    if "changes" in expected:
        matches = [CHANGE.match(c) for c in expected["changes"]]
        assert all(matches), f"malformed change in {expected['changes']}"
        rule_ids = [m.group(1) for m in matches if m]
    else:
        rule_ids = list(expected["rules"])
    assert all(r in RULES for r in rule_ids), f"unknown rule ids in {rule_ids}"
    if level is not Level.NONE:
        assert _rule_of(folder) in rule_ids, "the folder's rule must be among the expected ones"

    # The verdict follows from the catalogue: incompatible iff some expected change breaks.
    breaks = any(is_breaking(r, policy, d) for r in rule_ids for d in _directions(level))
    assert expected["compatible"] is (not breaks)

    if expected["compatible"]:
        assert "witness" not in expected and "witness_reason" not in expected
    else:
        assert expected.get("witness") in WITNESS_MODES, "incompatible cases say `witness:`"
        if expected["witness"] != "required":
            assert str(expected.get("witness_reason", "")).strip(), "explain the missing witness"
        else:
            assert "example_witness" in expected, "show that a witness exists"
    for key in expected.get("witnessed", []):
        assert key in expected.get("changes", []), f"witnessed {key} is not an expected change"
        assert "example_witness" in expected

    if "example_witness" in expected:
        direction = _directions(level)[0]
        writers, readers = _writers_readers(case, direction)
        part = expected.get("example_witness_at")
        assert (part is not None) == asyncapi, "example_witness_at is for AsyncAPI cases only"
        problem = _check_witness(expected["example_witness"], writers, readers, part=part)
        assert problem is None, problem


def test_every_rule_has_a_golden_case() -> None:
    missing = []
    for rule_id, rule in RULES.items():
        if rule.family == "jsonschema" and rule_id not in SKIPPED:
            folder = RULES_DIR / rule_id
        elif rule.family == "asyncapi":
            folder = ASYNCAPI_DIR / rule_id
        else:
            continue
        if not (folder / "case.yaml").is_file():
            missing.append(_case_id(folder))
    assert not missing, f"rules without a golden case: {missing}"


def test_every_case_folder_has_a_case_file() -> None:
    folders = [p for p in RULES_DIR.iterdir() if p.is_dir() and p != ASYNCAPI_DIR]
    folders += [p for p in ASYNCAPI_DIR.iterdir() if p.is_dir()]
    empty = [_case_id(p) for p in folders if not (p / "case.yaml").is_file()]
    assert not empty, f"folders without case.yaml: {empty}"


# --- the engine against the cases ----------------------------------------------------------


def _describe(report: Report) -> str:
    return yaml.safe_dump(report.to_dict(), sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("folder", CASE_DIRS, ids=_case_id)
def test_engine_matches_golden_case(folder: Path) -> None:
    case = _load(folder)
    asyncapi = _is_asyncapi(folder)
    level, policy = _level(case), _policy(case)
    expected = case["expected"]

    if case.get("check") == "reader":
        writer, reader = evreg.load_contract(case["old"]), evreg.load_contract(case["new"])
        assert writer.schema is not None and reader.schema is not None
        findings = check_reader(writer.schema, reader.schema, policy)
        report = Report(level, policy, tuple(findings))
    else:
        report = evreg.check_compatibility(case["old"], case["new"], level=level, policy=policy)
    shown = _describe(report)

    if "changes" in expected:
        got = {f"{f.rule} {f.path}" for f in report.findings}
        assert got == set(expected["changes"]), shown
    else:
        assert {f.rule for f in report.findings} == set(expected["rules"]), shown
    assert report.is_compatible is expected["compatible"], shown

    for f in report.findings:
        assert f.rule in RULES, shown
        assert f.breaking is is_breaking(f.rule, policy, f.direction), (
            f"{f.rule} {f.path}: breaking={f.breaking} disagrees with the catalogue\n{shown}"
        )

    mode = expected.get("witness")
    for f in report.breaking:
        if mode == "required":
            assert f.has_witness, f"{f.rule} {f.path} has no witness ({f.witness_note})\n{shown}"
        elif mode == "none":
            assert not f.has_witness, f"{f.rule} {f.path}: a witness where none can exist"
            assert f.witness_note, f"{f.rule} {f.path}: no witness and no note saying why"
    for key in expected.get("witnessed", []):
        carrying = [f for f in report.findings if f"{f.rule} {f.path}" == key and f.has_witness]
        assert carrying, f"{key} should carry a witness\n{shown}"

    for f in report.findings:
        if f.has_witness:
            problem = _verify_finding_witness(case, f, asyncapi)
            assert problem is None, f"{f.rule} {f.path}: {problem}\n{shown}"
