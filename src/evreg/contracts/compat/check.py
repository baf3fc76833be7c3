"""check_compatibility: levels pick the (reader, writer) pairs, the policy judges each change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, NamedTuple, final

from evreg.contracts.avro import AvroSchema
from evreg.contracts.compat.diff import DiffCache, diff_documents, diff_schemas, message_pairs
from evreg.contracts.compat.diff.avro import diff_avro
from evreg.contracts.compat.diff.history import History, Outline, Stored, outline
from evreg.contracts.compat.guard import GuardBudget, KnownInclusions, counterexample, included
from evreg.contracts.compat.messages import describe
from evreg.contracts.compat.report import Change, Direction, Finding, Level, Policy, Report
from evreg.contracts.compat.rules import (
    LENIENT_ACCEPTS,
    RULES,
    STRICT_ACCEPTS,
    RuleId,
    may_reject,
)
from evreg.contracts.compat.witness import MAX_SEARCHES, WitnessFinder
from evreg.contracts.compat.witness.avro import avro_witness
from evreg.contracts.errors import ContractError
from evreg.contracts.jsonschema_doc import dialect, draft_named
from evreg.contracts.loader import load_contract
from evreg.contracts.model import Contract, ContractKind, SchemaRef
from evreg.contracts.payload_format import AVRO_FORMAT, JSON_SCHEMA, format_of

ContractLike = Contract | Mapping[str, Any] | str | bytes | bool

_STRUCTURAL_NOTE = (
    "a structural change of the document: it concerns which messages flow where, "
    "not the shape of one event, so no single payload can prove it"
)


@final
@dataclass(frozen=True, slots=True)
class Deferred:
    """An earlier contract given to :func:`check_pairs` by its stored outline
    (``diff.history.Restorer``): ``load`` is called only where the outline does not answer."""

    outline: Outline
    load: Callable[[], Contract]


def check_compatibility(
    previous: ContractLike | Sequence[ContractLike],
    current: ContractLike,
    level: Level | str = "BACKWARD",
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
    default_dialect: str | None = None,
) -> Report:
    """Can ``current`` be registered after ``previous`` under ``level`` and ``policy``?

    ``previous`` is one earlier version, or for the *_TRANSITIVE levels a list of earlier
    versions, oldest first (the non-transitive levels use the last one). Each argument is a
    loaded :class:`Contract`, a dict, or YAML/JSON text.

    ``default_dialect`` is the dialect of a JSON Schema without ``$schema`` (a ``$schema`` URI
    or a name such as ``draft-07``); by default 2020-12. The Confluent registry reads such
    schemas as draft-07.
    """
    # (the common call, a level and a policy named by their values: a lookup, not a call)
    lvl = _LEVELS.get(level) if isinstance(level, str) else None
    lvl = _enum(Level, level, "level") if lvl is None else lvl
    pol = _POLICIES.get(policy) if isinstance(policy, str) else None
    pol = _enum(Policy, policy, "policy") if pol is None else pol
    default = None if default_dialect is None else _dialect(default_dialect)
    if (
        not isinstance(previous, Contract)
        and isinstance(previous, Sequence)
        and not isinstance(previous, str | bytes)
    ):
        history = [_load(p, default) for p in previous]
        numbered = True
    else:
        loaded = default is None and isinstance(previous, Contract)  # (what _load returns)
        history = [previous if loaded else _load(previous, default)]  # type: ignore[list-item]
        numbered = False
    new = current if default is None and isinstance(current, Contract) else _load(current, default)
    _same_kind(history, new)
    if lvl is _NONE or not history:
        return Report(lvl, pol, ())
    pairs = list(enumerate(history, start=1))
    if lvl not in _TRANSITIVE:
        pairs = pairs[-1:]
    findings: list[Finding] = []
    share = len(pairs) > 1 or len(_DIRECTIONS[lvl]) > 1
    run = _Run(lvl, pol, witnesses, DiffCache(share))
    for number, old in reversed(pairs):  # newest first
        findings.extend(run.pair(old, new, number if numbered else None))
    return Report(lvl, pol, run.guarded(findings))


def check_pairs(
    previous: Sequence[ContractLike | Deferred],
    current: ContractLike,
    level: Level | str = "BACKWARD",
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
    versions: Sequence[int] | None = None,
    breaking_only: bool = False,
    default_dialect: str | None = None,
    known: KnownInclusions | None = None,
    keys: Sequence[str] | None = None,
    key: str | None = None,
    stored: Stored | None = None,
) -> list[Report]:
    """One report per contract of ``previous``, in its order: for each, exactly the report of
    ``check_compatibility(old, current, level, policy)``, its findings numbered with the
    matching entry of ``versions`` if given (else unnumbered).

    ``breaking_only``: each report holds only the breaking findings of that report, the same
    ones (witnesses included) in the same order, so the verdict is the same. A pair is first
    diffed keeping only the changes the policy refuses; when there is none (the common case:
    a new version that adds optional fields) the pair only goes to the semantic guard (with
    witnesses on), and what a full report adds (the accepted findings, and the witness
    searches for those that may reject an event) is never computed. Otherwise
    the pair is checked in full and its breaking findings kept, since the witness searches for
    breaking findings share a bound with the others.

    Unlike a loop of such calls, the pairs share one :class:`DiffCache`: ``current`` is typed
    once, and a sub-schema written the same in several earlier versions is compared with it
    once. For a caller that keeps each pair's report apart (to cache it by the two contracts'
    fingerprints); :func:`check_compatibility` with a list is the transitive check itself.

    ``known`` with ``keys`` (one per contract of ``previous``) and ``key`` (``current``'s):
    inclusions between JSON Schema contracts proven before, by those keys (a registry's
    content fingerprints). A pair's guard is skipped where the inclusion it would prove first
    is known, through a chain of known ones (``guard.known``: it could find nothing there);
    each inclusion the guards prove is added to ``known``, and each one derived. The reports
    are the same with or without it.

    ``stored``: verdicts by content a store keeps (``diff.history.Stored``): those of the
    earlier versions given as :class:`Deferred` are read from it, those the walk proves and the
    outlines made of the keyed schemas are added to it. A :class:`Deferred` version is loaded
    only when its outline and the verdicts do not show it unbroken with every guard's
    inclusion known; the reports are the same.
    """
    lvl = _enum(Level, level, "level")
    pol = _enum(Policy, policy, "policy")
    default = _dialect(default_dialect)
    history = [p if isinstance(p, Deferred) else _load(p, default) for p in previous]
    numbers: Sequence[int | None] = [None] * len(history) if versions is None else versions
    if len(numbers) != len(history):
        raise ValueError(f"{len(history)} earlier versions but {len(numbers)} version numbers")
    new = _load(current, default)
    _same_kind(history, new)
    # one report for every pair without a finding (immutable: a registry caches one per pair,
    # so a check against 200 earlier versions keeps one object instead of 200)
    empty = Report(lvl, pol, ())
    if lvl is Level.NONE:
        return [empty for _ in history]
    if known is not None and (keys is None or key is None or len(keys) != len(history)):
        raise ValueError("known inclusions need a key for each earlier contract and the new one")
    plain = new.kind is ContractKind.JSON and new.schema is not None
    plain = plain and format_of(new.schema) is JSON_SCHEMA  # type: ignore[arg-type]
    chained = known is not None and witnesses and new.kind is ContractKind.JSON
    cache = DiffCache()
    # the earlier versions' properties and frames compared by content, each distinct one once
    by_content = None
    answers: dict[int, bool | None] = {}  # (of the earlier versions given by outline)
    if breaking_only and plain and _DIRECTIONS[lvl] == (Direction.BACKWARD,):
        assert new.schema is not None
        by_content = History(new.schema, pol, cache, stored)
        if stored is not None:
            if key is not None and key in stored.missing:
                stored.keep(key, by_content.outline)
            # the stored verdicts the earlier versions given by outline need (read at once)
            answers = {
                i: by_content.unbroken_outline(d.outline)
                for i, d in enumerate(history)
                if isinstance(d, Deferred)
            }
            unknown = [history[i].outline for i, a in answers.items() if a is None]  # type: ignore[union-attr]
            asked = by_content.wanted(unknown) if unknown else None
            if asked:
                by_content.know(stored.read(asked))
    # a fresh run per pair (what is reported once per check stays per pair), one shared cache
    reports = []
    keep = by_content is not None and stored is not None and keys is not None
    for index, (item, number) in enumerate(zip(history, numbers, strict=True)):
        sides = _sides(lvl, keys[index], key) if chained else _NO_SIDES  # type: ignore[index,arg-type]
        skip = _known(known, sides)
        # every guard would be skipped, its inclusion known: it could find nothing
        settled = chained and len(skip) == len(sides)
        if isinstance(item, Deferred):
            if (
                by_content is not None
                and settled
                and (answers.get(index) or by_content.unbroken_outline(item.outline))
            ):  # as below, without the schema
                reports.append(empty)
                continue
            old = _load(item.load(), default)
            _same_kind([old], new)
        else:
            old = item
            if keep and keys[index] in stored.missing:  # type: ignore[index,union-attr]
                # (outlined by unbroken below anyway)
                stored.keep(keys[index], outline(old.schema, cache))  # type: ignore[arg-type,index,union-attr]
        if breaking_only and (
            (by_content is not None and by_content.unbroken(old.schema))  # type: ignore[arg-type]
            or not _Run(lvl, pol, False, cache).breaks(old, new)
        ):
            found: tuple[Finding, ...] = ()
            if witnesses and not (plain and settled):  # (settled: nothing found, as it would)
                run = _Run(lvl, pol, True, cache, guard_only=True)
                run.skip = skip
                found = tuple(f for f in run.guarded(run.pair(old, new, number)) if f.breaking)
                _learn(known, sides, run.proven)
            reports.append(Report(lvl, pol, found) if found else empty)
            continue
        run = _Run(lvl, pol, witnesses, cache)
        run.skip = skip
        findings = run.guarded(run.pair(old, new, number))
        _learn(known, sides, run.proven)
        if breaking_only:
            findings = tuple(f for f in findings if f.breaking)
        reports.append(Report(lvl, pol, findings) if findings else empty)
    return reports


_NO_SIDES: Final[dict[Direction, tuple[str, str]]] = {}
_NOTHING_KNOWN: Final[frozenset[Direction]] = frozenset()
_ONLY: Final = {direction: frozenset({direction}) for direction in Direction}


def _sides(level: Level, old: str, new: str) -> dict[Direction, tuple[str, str]]:
    """(writer key, reader key) of each direction ``level`` checks."""
    directions = _DIRECTIONS[level]
    if directions is _BACKWARD_ONLY:  # (the transitive check's, once per earlier version)
        return {_BACKWARD: (old, new)}
    return {d: (old, new) if d is _BACKWARD else (new, old) for d in directions}


def _known(
    known: KnownInclusions | None, sides: dict[Direction, tuple[str, str]]
) -> frozenset[Direction]:
    """The directions whose inclusion (writer in reader) is known already, each recorded in
    ``known`` (derived, when it holds through a chain: so the next pair's chain is one
    step)."""
    found = _NOTHING_KNOWN
    if known is None:
        return found
    for direction, (writer, reader) in sides.items():
        if known.derive(writer, reader):
            found = found | _ONLY[direction] if found else _ONLY[direction]
    return found


def _learn(
    known: KnownInclusions | None,
    sides: dict[Direction, tuple[str, str]],
    proven: set[Direction],
) -> None:
    """Add what a run's guards ``proven`` to ``known``."""
    if known is None:
        return
    for direction, (writer, reader) in sides.items():
        if direction in proven:
            known.add(writer, reader)


def _same_kind(history: Sequence[Contract | Deferred], new: Contract) -> None:
    for old in history:
        if not isinstance(old, Deferred) and old.kind is not new.kind:
            raise ContractError(
                f"cannot compare a {old.kind.value} contract with a {new.kind.value} one",
                source=new.source,
            )


# enum members read on every check, as module constants: on Python 3.11 each `Level.X` goes
# through EnumType.__getattr__'s lookup hook (see diff.schema_view.Kinds)
_NONE: Final = Level.NONE
_ASYNCAPI: Final = ContractKind.ASYNCAPI
_BACKWARD: Final = Direction.BACKWARD
_STRICT: Final = Policy.STRICT
_LEVELS: Final[dict[str, Level]] = {level.value: level for level in Level}
_TRANSITIVE: Final = frozenset(level for level in Level if level.transitive)
_NO_DIRECTIONS: Final[frozenset[Direction]] = frozenset()
_POLICIES: Final[dict[str, Policy]] = {policy.value: policy for policy in Policy}


def _enum(cls: Any, value: Any, what: str) -> Any:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):  # a member's value as written (the common call): no upper()
        found = cls._value2member_map_.get(value)
        if found is not None:
            return found
    try:
        return cls(value.upper() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ContractError(
            f"unknown compatibility {what} {value!r} (choose from {choices})"
        ) from None


def _dialect(name: str | None) -> str | None:
    """The draft URI of a dialect given by name (``draft-07``) or ``$schema`` URI."""
    if name is None:
        return None
    return draft_named(name) or dialect(name, at="#")


def _load(value: ContractLike, default_draft: str | None) -> Contract:
    """A loaded contract; a JSON Schema without ``$schema`` read as ``default_draft``."""
    if not isinstance(value, Contract):
        if default_draft is None:
            return load_contract(value)
        return load_contract(value, default_draft=default_draft)
    document = value.document
    if (
        default_draft is None
        or value.kind is not ContractKind.JSON
        or (isinstance(document, dict) and "$schema" in document)
        or value.version == default_draft
    ):
        return value
    return load_contract(
        document, name=value.source, references=value.resources, default_draft=default_draft
    )


def _directions(level: Level) -> tuple[Direction, ...]:
    out = []
    if level.checks_backward:
        out.append(Direction.BACKWARD)
    if level.checks_forward:
        out.append(Direction.FORWARD)
    return _BACKWARD_ONLY if out == [_BACKWARD] else tuple(out)


_BACKWARD_ONLY: Final = (_BACKWARD,)


_DIRECTIONS: Final = {level: _directions(level) for level in Level}


class _GuardTask(NamedTuple):
    """A pair (and direction) the semantic guard searches if the check would be compatible."""

    finder: WitnessFinder
    writer: SchemaRef
    reader: SchemaRef
    prefix: str
    direction: Direction
    version: int | None
    channel: str | None
    message_name: str | None


class _Run:
    """One check: the level, the policy, and the schema views shared by all its pairs.

    ``guard_only``: the pairs are only queued for the guard (no diff, no finding), for a caller
    that knows no change breaks and only wants the guard's verdict.
    """

    def __init__(
        self,
        level: Level,
        policy: Policy,
        witnesses: bool,
        cache: DiffCache | None = None,
        guard_only: bool = False,
    ) -> None:
        self.level = level
        self.policy = policy
        self.witnesses = witnesses
        self.guard_only = guard_only
        self.directions = _DIRECTIONS[level]
        self.cache = DiffCache() if cache is None else cache
        self.accepted_seen: set[tuple[RuleId, str, Direction]] = set()
        self.guard_tasks: list[_GuardTask] = []
        self.avro_schemas: dict[int, AvroSchema] = {}
        self.avro_witnesses = 0  # datums built for Avro findings (bounded like the search)
        # directions whose guard is skipped, the writer's inclusion in the reader being known
        # (check_pairs sets it for one pair of whole JSON Schemas), and those whose guard
        # proved that inclusion
        self.skip = _NO_DIRECTIONS
        self.proven: set[Direction] = set()

    def guarded(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        """``findings``, and when none breaks, the semantic guard's counterexample if it finds
        one (the first, in the order the pairs were checked)."""
        if not self.witnesses:
            return tuple(findings)
        for f in findings:  # (a loop: cheaper than any() over a generator, run every check)
            if f.breaking:
                return tuple(findings)
        budget: GuardBudget | None = None  # made when a search runs (most inclusions hold)
        for task in self.guard_tasks:
            if task.direction in self.skip:
                continue  # the writer's inclusion in the reader is known: nothing to find
            if included(task.finder, task.writer, task.reader):
                self.proven.add(task.direction)
                continue  # proven: nothing to search for
            if budget is None:
                budget = GuardBudget()
            found = counterexample(
                task.finder, task.writer, task.reader, task.prefix, self.policy, budget, False
            )
            if found is not None:
                probe, event = found
                breaking = not RULES[probe.rule].accepted(self.policy)
                extra = Finding(
                    rule=probe.rule.value,
                    path=probe.path,
                    message=describe(probe, breaking, task.direction),
                    breaking=breaking,
                    direction=task.direction,
                    witness=event,
                    has_witness=True,
                    version=task.version,
                    channel=task.channel,
                    message_name=task.message_name,
                )
                return (*findings, extra)
        return tuple(findings)

    def breaks(self, old: Contract, new: Contract) -> bool:
        """Would :meth:`pair` report a breaking finding? Without building any finding, and
        with the diffs keeping only the changes the policy refuses."""
        if new.kind is not ContractKind.ASYNCAPI:
            assert old.schema is not None and new.schema is not None
            return self._schemas_break(old.schema, new.schema, "")
        for change in diff_documents(old, new):
            if any(d in RULES[change.rule].breaks_in for d in self.directions):
                return True
        for pair in message_pairs(old, new):
            for part in ("payload", "headers"):
                before: SchemaRef | None = getattr(pair.old, part)
                after: SchemaRef | None = getattr(pair.new, part)
                if (
                    before is not None
                    and after is not None
                    and self._schemas_break(before, after, after.pointer[1:])
                ):
                    return True
        return False

    def _schemas_break(self, older: SchemaRef, newer: SchemaRef, prefix: str) -> bool:
        if format_of(older) is not JSON_SCHEMA or format_of(newer) is not JSON_SCHEMA:
            return any(f.breaking for f in self.avro(older, newer, None, prefix, first=True))
        for direction in self.directions:
            writer, reader = (older, newer) if direction is Direction.BACKWARD else (newer, older)
            if diff_schemas(writer, reader, self.policy, prefix, self.cache, breaking_only=True):
                return True
        return False

    def pair(self, old: Contract, new: Contract, version: int | None) -> list[Finding]:
        """The findings of ``new`` after ``old`` (two contracts of the same kind)."""
        if new.kind is not _ASYNCAPI:
            assert old.schema is not None and new.schema is not None
            return self.schemas(old.schema, new.schema, version)
        return self.asyncapi(old, new, version)

    def schemas(
        self,
        older: SchemaRef,
        newer: SchemaRef,
        version: int | None,
        prefix: str = "",
        channel: str | None = None,
        message_name: str | None = None,
    ) -> list[Finding]:
        if format_of(older) is not JSON_SCHEMA or format_of(newer) is not JSON_SCHEMA:
            return self.avro(older, newer, version, prefix, channel, message_name)
        findings: list[Finding] = []
        for direction in self.directions:
            writer, reader = (older, newer) if direction is _BACKWARD else (newer, older)
            finder = None
            if self.witnesses:
                finder = WitnessFinder(writer, reader, self.cache.view(reader).plain)
            if finder is not None:
                task = _GuardTask(
                    finder, writer, reader, prefix, direction, version, channel, message_name
                )
                self.guard_tasks.append(task)
            if self.guard_only:
                continue
            inclusion = None if finder is None else finder.inclusion
            changes = diff_schemas(
                writer, reader, self.policy, prefix, self.cache, inclusion=inclusion
            )
            # the policy's verdict on each (JSON Schema) rule, as Rule.accepted reads it
            accepted = STRICT_ACCEPTS if self.policy is _STRICT else LENIENT_ACCEPTS
            for change in changes:
                breaking = change.rule not in accepted
                if not breaking:
                    # an accepted change found again against an older version says nothing new
                    key = (change.rule, change.path, direction)
                    if key in self.accepted_seen:
                        continue
                    self.accepted_seen.add(key)
                findings.append(
                    _finding(change, breaking, direction, version, finder, channel, message_name)
                )
        return findings

    def avro(
        self,
        older: SchemaRef,
        newer: SchemaRef,
        version: int | None,
        prefix: str = "",
        channel: str | None = None,
        message_name: str | None = None,
        *,
        first: bool = False,
    ) -> list[Finding]:
        """Avro schemas by Avro's schema resolution (``diff/avro.py``); a payload that moved
        between JSON Schema and Avro is SCHEMA_FORMAT_CHANGED. ``first``: stop at the first
        breaking finding, without witnesses."""
        findings: list[Finding] = []
        for direction in self.directions:
            writer, reader = (older, newer) if direction is Direction.BACKWARD else (newer, older)
            if format_of(writer) is not format_of(reader):
                change = Change(
                    RuleId.SCHEMA_FORMAT_CHANGED,
                    "#" + prefix,
                    format_of(writer).name,
                    format_of(reader).name,
                )
                finding = _finding(change, True, direction, version, None, channel, message_name)
                findings.append(replace(finding, witness_note="no datum is both JSON and Avro"))
                continue
            w, r = self._avro_schema(writer), self._avro_schema(reader)
            for found in diff_avro(w, r, prefix, policy=self.policy, breaking_only=first):
                change = found.change
                breaking = not RULES[change.rule].accepted(self.policy)
                key = (change.rule, change.path, direction)
                if not breaking:
                    if key in self.accepted_seen:
                        continue
                    self.accepted_seen.add(key)
                finding = _finding(
                    change, breaking, direction, version, None, channel, message_name
                )
                if breaking and self.witnesses and not first:
                    self.avro_witnesses += 1
                    proof = avro_witness(w, r, found, self.avro_witnesses > MAX_SEARCHES)
                    finding = replace(
                        finding,
                        witness=proof.value,
                        witness_note=proof.note,
                        has_witness=proof.found,
                    )
                findings.append(finding)
                if first and breaking:
                    return findings
        return findings

    def _avro_schema(self, ref: SchemaRef) -> AvroSchema:
        found = self.avro_schemas.get(id(ref))
        if found is None:
            found = self.avro_schemas[id(ref)] = AVRO_FORMAT.parse(ref)
        return found

    def asyncapi(self, old: Contract, new: Contract, version: int | None) -> list[Finding]:
        findings: list[Finding] = []
        for change in diff_documents(old, new):
            rule = RULES[change.rule]
            breaking_in = [d for d in self.directions if d in rule.breaks_in]
            direction = breaking_in[0] if breaking_in else self.directions[0]
            findings.append(
                Finding(
                    rule=change.rule.value,
                    path=change.path,
                    message=describe(change, bool(breaking_in), direction),
                    breaking=bool(breaking_in),
                    direction=direction,
                    witness_note=_STRUCTURAL_NOTE if breaking_in else None,
                    version=version,
                    channel=change.channel,
                    message_name=change.message_name,
                )
            )
        for pair in message_pairs(old, new):
            name = pair.new.name or pair.new.key
            for part in ("payload", "headers"):
                before: SchemaRef | None = getattr(pair.old, part)
                after: SchemaRef | None = getattr(pair.new, part)
                if before is not None and after is not None:
                    findings.extend(
                        self.schemas(before, after, version, after.pointer[1:], pair.channel, name)
                    )
        return findings


# each rule id's text (what ``rule.value`` reads, without the enum's property machinery)
_RULE_TEXT: Final = {rule: rule.value for rule in RuleId}


def _finding(
    change: Change,
    breaking: bool,
    direction: Direction,
    version: int | None,
    finder: WitnessFinder | None,
    channel: str | None,
    message_name: str | None,
) -> Finding:
    witness: Any = None
    has_witness = False
    note: str | None = None
    if finder is not None and (breaking or may_reject(change.rule)):
        result = finder.find(change)
        has_witness, witness, note = result.found, result.value, result.note
    elif breaking:
        note = "witnesses were not requested"
    if not breaking and not has_witness:
        note = None
    # (positional, in the order of Finding's fields: eleven keywords cost a third of the call)
    return Finding(
        _RULE_TEXT[change.rule],  # rule
        change.path,  # path
        describe(change, breaking, direction),  # message
        breaking,
        direction,
        witness,
        None if has_witness else note,  # witness_note
        has_witness,
        version,
        channel or change.channel,  # channel
        message_name or change.message_name,  # message_name
    )


def check_reader(
    writer: SchemaRef,
    reader: SchemaRef,
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
    prefix: str = "",
) -> list[Finding]:
    """Can a reader holding ``reader`` read every event ``writer`` allows? Every finding.

    The direct reader/writer question (one consumer against one producer), as BACKWARD asks
    it of two versions: breaking findings carry a witness that ``writer`` accepts and
    ``reader`` rejects.
    """
    run = _Run(Level.BACKWARD, _enum(Policy, policy, "policy"), witnesses)
    return list(run.guarded(run.schemas(writer, reader, None, prefix)))
