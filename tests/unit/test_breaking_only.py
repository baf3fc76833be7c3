"""The verdict-only check (``breaking_only``) and trusted loading of stored text.

A registration needs the verdict and the breaking findings (its 409 message), not every
accepted change: ``check_pairs(..., breaking_only=True)`` must give exactly the breaking
findings of the full reports (witnesses and order included) while building no accepted change
at all, and ``diff_schemas(..., breaking_only=True)`` exactly the refused changes of the full
diff. ``load_stored`` must give the contract ``load_contract`` gives for the same stored text
without checking it against its meta-schema again. Work is counted (changes and findings
built, meta-schema checks run), never timed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import evreg.contracts.compat.check as check_module
from evreg.contracts import Contract, Level, Policy, Report
from evreg.contracts import load_contract as load
from evreg.contracts.compat.check import check_pairs
from evreg.contracts.compat.diff import DiffCache, diff_schemas
from evreg.contracts.compat.diff import changes as diff_module
from evreg.contracts.compat.rules import LENIENT_ACCEPTS, STRICT_ACCEPTS
from evreg.contracts.loader import load_stored
from evreg.contracts.schemacheck import SchemaChecker
from golden_cases import read_case

TESTS = Path(__file__).resolve().parents[1]
RULES_DIR = TESTS / "golden" / "rules"
ASYNCAPI_DIR = RULES_DIR / "asyncapi"
CASES = sorted(p.parent for p in RULES_DIR.rglob("case.yaml"))
CONFLUENT = TESTS.parents[1] / "shared" / "compat-cases" / "confluent"
CONTRACTS = TESTS.parent / "contracts"


def _case(folder: Path) -> tuple[list[Contract], Contract]:
    case = read_case(folder / "case.yaml")
    olds = case["old"] if isinstance(case["old"], list) else [case["old"]]
    return [load(o) for o in olds], load(case["new"])


def _histories() -> list[tuple[str, list[Contract], Contract]]:
    """Per golden case: its earlier versions, the new one, and the earlier versions of the next
    case of the same kind (an unrelated schema is a pair like any other)."""
    out = []
    for group in (
        [c for c in CASES if c.parent != ASYNCAPI_DIR],
        [c for c in CASES if c.parent == ASYNCAPI_DIR],
    ):
        loaded = [_case(c) for c in group]
        for i, (olds, new) in enumerate(loaded):
            others = loaded[(i + 1) % len(loaded)][0]
            out.append((group[i].relative_to(RULES_DIR).as_posix(), [*olds, new, *others], new))
    return out


def _confluent_pairs() -> list[tuple[str, Contract, Contract]]:
    out: list[tuple[str, Contract, Contract]] = []
    if not CONFLUENT.is_dir():
        return out
    draft7 = "http://json-schema.org/draft-07/schema#"
    for path in (CONFLUENT / f"diff-{n}-examples.json" for n in ("schema", "combined-schema")):
        for i, case in enumerate(json.loads(path.read_text())):
            pair = []
            for key in ("original_schema", "update_schema"):
                schema = case[key]
                if isinstance(schema, dict) and "$schema" not in schema:
                    schema = {"$schema": draft7, **schema}
                pair.append(load(schema))
            out.append((f"{path.stem}-{i}", pair[0], pair[1]))
    return out


HISTORIES = _histories()
CONFLUENT_PAIRS = _confluent_pairs()


def _breaking(reports: list[Report]) -> list[Report]:
    return [Report(r.level, r.policy, tuple(f for f in r.findings if f.breaking)) for r in reports]


@pytest.mark.parametrize("policy", [Policy.STRICT, Policy.LENIENT])
@pytest.mark.parametrize("level", [Level.BACKWARD, Level.FORWARD, Level.FULL])
@pytest.mark.parametrize(("name", "history", "new"), HISTORIES, ids=[h[0] for h in HISTORIES])
def test_breaking_only_reports_are_the_breaking_findings_of_the_full_ones(
    name: str, history: list[Contract], new: Contract, level: Level, policy: Policy
) -> None:
    numbers = list(range(1, len(history) + 1))
    full = check_pairs(history, new, level=level, policy=policy, versions=numbers)
    quick = check_pairs(
        history, new, level=level, policy=policy, versions=numbers, breaking_only=True
    )
    assert quick == _breaking(full)
    assert [r.is_compatible for r in quick] == [r.is_compatible for r in full]


def _schema_pairs() -> Iterator[tuple[str, Contract, Contract]]:
    for name, history, new in HISTORIES:
        if new.schema is not None:
            for k, old in enumerate(history):
                yield f"{name}-{k}", old, new
    yield from CONFLUENT_PAIRS


SCHEMA_PAIRS = list(_schema_pairs())


@pytest.mark.parametrize(("name", "old", "new"), SCHEMA_PAIRS, ids=[p[0] for p in SCHEMA_PAIRS])
def test_breaking_only_diff_is_the_refused_changes_of_the_full_diff(
    name: str, old: Contract, new: Contract
) -> None:
    assert old.schema is not None and new.schema is not None
    cache = DiffCache()  # shared by both kinds, as in check_pairs: they must not mix
    for policy, accepts in ((Policy.STRICT, STRICT_ACCEPTS), (Policy.LENIENT, LENIENT_ACCEPTS)):
        for writer, reader in ((old.schema, new.schema), (new.schema, old.schema)):
            full = diff_schemas(writer, reader, policy, cache=cache)
            quick = diff_schemas(writer, reader, policy, cache=cache, breaking_only=True)
            assert quick == [c for c in full if c.rule not in accepts]


def test_the_golden_pairs_cover_both_verdicts() -> None:
    """Not vacuous: the pairs above include breaking and compatible ones of every kind."""
    reports = [
        r for _, history, new in HISTORIES for r in check_pairs(history, new, breaking_only=True)
    ]
    assert sum(not r.is_compatible for r in reports) > 100
    assert sum(r.is_compatible for r in reports) > 100
    assert any(f.has_witness for r in reports for f in r.findings)
    assert len(SCHEMA_PAIRS) > 300


# -- work counted ---------------------------------------------------------------------------


def _growing(n: int, *, closed: bool = True, **extra: Any) -> Contract:
    """Version ``n`` of an object: each version adds one optional property."""
    props: dict[str, Any] = {"id": {"type": "string"}}
    props.update({f"f{k}": {"type": "string", "maxLength": 64} for k in range(1, n)})
    props.update(extra)
    doc: dict[str, Any] = {"type": "object", "required": ["id"], "properties": props}
    if closed:
        doc["additionalProperties"] = False
    return load(doc)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the changes the diff builds and the findings the check builds (the real
    functions run; they are only counted)."""
    counts = {"changes": 0, "findings": 0}

    def counting(module: Any, attr: str, key: str) -> None:
        real: Callable[..., Any] = getattr(module, attr)

        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, attr, counted)

    counting(diff_module, "change", "changes")
    counting(check_module, "_finding", "findings")
    return counts


@pytest.mark.parametrize(
    ("closed", "level", "policy"),
    [
        (True, Level.BACKWARD, Policy.STRICT),
        (True, Level.BACKWARD, Policy.LENIENT),
        (False, Level.FULL, Policy.LENIENT),  # open: added and removed are both accepted
    ],
)
def test_a_compatible_version_builds_nothing_whatever_the_history(
    built: dict[str, int], closed: bool, level: Level, policy: Policy
) -> None:
    """Against N earlier versions that each added a property, the full reports list
    N(N+1)/2 accepted changes per direction (quadratic over a subject's life); the
    verdict-only check builds none: no change, no finding."""
    n = 40
    history = [_growing(k, closed=closed) for k in range(1, n + 1)]
    new = _growing(n + 1, closed=closed)
    full = check_pairs(history, new, level=level, policy=policy)
    directions = 2 if level is Level.FULL else 1
    quadratic = directions * n * (n + 1) // 2
    assert built == {"changes": quadratic, "findings": quadratic}
    assert all(r.is_compatible for r in full)
    built.update(changes=0, findings=0)
    quick = check_pairs(history, new, level=level, policy=policy, breaking_only=True)
    assert built == {"changes": 0, "findings": 0}
    assert quick == _breaking(full) == [Report(level, policy, ())] * n


def test_a_breaking_version_is_checked_in_full_only_where_it_breaks(
    built: dict[str, int],
) -> None:
    """f1 changes type: it breaks against every version that has f1 (all but the first); only
    those pairs are checked in full, and only their breaking findings are kept."""
    n = 20
    history = [_growing(k) for k in range(1, n + 1)]
    new = _growing(n + 1, f1={"type": "integer"})
    full = check_pairs(history, new)
    built.update(changes=0, findings=0)
    quick = check_pairs(history, new, breaking_only=True)
    assert quick == _breaking(full)
    assert [len(r.findings) for r in quick] == [0] + [1] * (n - 1)
    # version 1 (no f1): nothing built. Versions k >= 2: a full check, building a finding for
    # the type change and one for each of the n - k + 1 properties added since, and a change
    # for each of those properties; the type change of f1 is the same sub-schema pair in every
    # version, so each kind of diff builds it once (then reuses it by content)
    added = sum(n - k + 1 for k in range(2, n + 1))
    assert built == {"changes": 2 + added, "findings": (n - 1) + added}


# -- trusted loading ------------------------------------------------------------------------


def _stored_texts() -> list[tuple[str, str]]:
    out = []
    for folder in CASES:
        olds, new = _case(folder)
        for k, contract in enumerate([*olds, new]):
            out.append((f"{folder.relative_to(RULES_DIR).as_posix()}-{k}", contract.canonical))
    for path in sorted(CONTRACTS.glob("*.yaml")):
        out.append((path.name, load(path.read_text(encoding="utf-8")).canonical))
    return out


STORED = _stored_texts()


@pytest.fixture
def meta_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts SchemaChecker.check calls (meta-schema and $ref checks of a root schema)."""
    calls = [0]
    real = SchemaChecker.check

    def counted(self: SchemaChecker, *args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaChecker, "check", counted)
    return calls


@pytest.mark.parametrize(("name", "text"), STORED, ids=[s[0] for s in STORED])
def test_a_stored_text_loads_to_the_same_contract_without_checks(
    name: str, text: str, meta_checks: list[int]
) -> None:
    checked = load(text, name="schema 1")
    checks = meta_checks[0]  # one per root schema (none for an AsyncAPI without payloads)
    trusted = load_stored(text, name="schema 1")
    assert meta_checks[0] == checks
    assert trusted == checked
    assert trusted.canonical == text and trusted.fingerprint == checked.fingerprint


def test_a_stored_text_with_references_loads_them_as_given(meta_checks: list[int]) -> None:
    common = {"$defs": {"id": {"type": "string", "format": "uuid"}}}
    doc = {"type": "object", "properties": {"id": {"$ref": "common.json#/$defs/id"}}}
    checked = load(json.dumps(doc), references={"common.json": common})
    forms = (common, json.dumps(common), load(common))
    assert meta_checks[0] == 2
    for given in forms:
        trusted = load_stored(checked.canonical, references={"common.json": given})
        assert trusted == checked
    assert meta_checks[0] == 2


def test_text_that_was_never_stored_is_still_an_error_naming_it() -> None:
    with pytest.raises(Exception, match="schema 7"):
        load_stored("{not json", name="schema 7")
