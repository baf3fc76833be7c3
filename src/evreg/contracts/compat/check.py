"""check_compatibility: levels pick the (reader, writer) pairs, the policy judges each change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evreg.contracts.compat.asyncapi_diff import diff_documents, message_pairs
from evreg.contracts.compat.jsonschema_diff import DiffCache, diff_schemas
from evreg.contracts.compat.messages import describe
from evreg.contracts.compat.report import Change, Direction, Finding, Level, Policy, Report
from evreg.contracts.compat.rules import RULES, may_reject
from evreg.contracts.compat.witness import WitnessFinder
from evreg.contracts.errors import ContractError
from evreg.contracts.loader import load_contract
from evreg.contracts.model import Contract, ContractKind, SchemaRef

ContractLike = Contract | Mapping[str, Any] | str | bytes | bool

_STRUCTURAL_NOTE = (
    "a structural change of the document: it concerns which messages flow where, "
    "not the shape of one event, so no single payload can prove it"
)


def check_compatibility(
    previous: ContractLike | Sequence[ContractLike],
    current: ContractLike,
    level: Level | str = "BACKWARD",
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
) -> Report:
    """Can ``current`` be registered after ``previous`` under ``level`` and ``policy``?

    ``previous`` is one earlier version, or for the *_TRANSITIVE levels a list of earlier
    versions, oldest first (the non-transitive levels use the last one). Each argument is a
    loaded :class:`Contract`, a dict, or YAML/JSON text.
    """
    lvl = _enum(Level, level, "level")
    pol = _enum(Policy, policy, "policy")
    if isinstance(previous, Sequence) and not isinstance(previous, str | bytes):
        history = [_load(p) for p in previous]
        numbered = True
    else:
        history = [_load(previous)]
        numbered = False
    new = _load(current)
    _same_kind(history, new)
    if lvl is Level.NONE or not history:
        return Report(lvl, pol, ())
    pairs = list(enumerate(history, start=1))
    if not lvl.transitive:
        pairs = pairs[-1:]
    findings: list[Finding] = []
    run = _Run(lvl, pol, witnesses)
    for number, old in reversed(pairs):  # newest first
        findings.extend(run.pair(old, new, number if numbered else None))
    return Report(lvl, pol, tuple(findings))


def check_pairs(
    previous: Sequence[ContractLike],
    current: ContractLike,
    level: Level | str = "BACKWARD",
    policy: Policy | str = "STRICT",
    witnesses: bool = True,
    versions: Sequence[int] | None = None,
    breaking_only: bool = False,
) -> list[Report]:
    """One report per contract of ``previous``, in its order: for each, exactly the report of
    ``check_compatibility(old, current, level, policy)``, its findings numbered with the
    matching entry of ``versions`` if given (else unnumbered).

    ``breaking_only``: each report holds only the breaking findings of that report, the same
    ones (witnesses included) in the same order, so the verdict is the same. A pair is first
    diffed keeping only the changes the policy refuses; when there is none (the common case:
    a new version that adds optional fields) its report is empty, and what a full report adds
    (every accepted change, and the witness searches for those that may reject an event) is
    never computed. Otherwise the pair is checked in full and its breaking findings kept,
    since the witness searches for breaking findings share a bound with the others.

    Unlike a loop of such calls, the pairs share one :class:`DiffCache`: ``current`` is typed
    once, and a sub-schema written the same in several earlier versions is compared with it
    once. For a caller that keeps each pair's report apart (to cache it by the two contracts'
    fingerprints); :func:`check_compatibility` with a list is the transitive check itself.
    """
    lvl = _enum(Level, level, "level")
    pol = _enum(Policy, policy, "policy")
    history = [_load(p) for p in previous]
    numbers: Sequence[int | None] = [None] * len(history) if versions is None else versions
    if len(numbers) != len(history):
        raise ValueError(f"{len(history)} earlier versions but {len(numbers)} version numbers")
    new = _load(current)
    _same_kind(history, new)
    if lvl is Level.NONE:
        return [Report(lvl, pol, ()) for _ in history]
    cache = DiffCache()
    # a fresh run per pair (what is reported once per check stays per pair), one shared cache
    reports = []
    for old, number in zip(history, numbers, strict=True):
        if breaking_only and not _Run(lvl, pol, False, cache).breaks(old, new):
            reports.append(Report(lvl, pol, ()))
            continue
        findings = _Run(lvl, pol, witnesses, cache).pair(old, new, number)
        if breaking_only:
            findings = [f for f in findings if f.breaking]
        reports.append(Report(lvl, pol, tuple(findings)))
    return reports


def _same_kind(history: Sequence[Contract], new: Contract) -> None:
    for old in history:
        if old.kind is not new.kind:
            raise ContractError(
                f"cannot compare a {old.kind.value} contract with a {new.kind.value} one",
                source=new.source,
            )


def _enum(cls: Any, value: Any, what: str) -> Any:
    try:
        return cls(value.upper() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ContractError(
            f"unknown compatibility {what} {value!r} (choose from {choices})"
        ) from None


def _load(value: ContractLike) -> Contract:
    return value if isinstance(value, Contract) else load_contract(value)


def _directions(level: Level) -> list[Direction]:
    out = []
    if level.checks_backward:
        out.append(Direction.BACKWARD)
    if level.checks_forward:
        out.append(Direction.FORWARD)
    return out


class _Run:
    """One check: the level, the policy, and the schema views shared by all its pairs."""

    def __init__(
        self,
        level: Level,
        policy: Policy,
        witnesses: bool,
        cache: DiffCache | None = None,
        undeclared_required: bool = False,
    ) -> None:
        self.level = level
        self.undeclared_required = undeclared_required
        self.policy = policy
        self.witnesses = witnesses
        self.directions = _directions(level)
        self.cache = DiffCache() if cache is None else cache
        self.accepted_seen: set[tuple[str, str, Direction]] = set()

    def breaks(self, old: Contract, new: Contract) -> bool:
        """Would :meth:`pair` report a breaking finding? Without building any finding, and
        with the diffs keeping only the changes the policy refuses."""
        if new.kind is ContractKind.JSON:
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
        for direction in self.directions:
            writer, reader = (older, newer) if direction is Direction.BACKWARD else (newer, older)
            cache, undeclared = self.cache, self.undeclared_required
            if diff_schemas(writer, reader, self.policy, prefix, cache, undeclared, True):
                return True
        return False

    def pair(self, old: Contract, new: Contract, version: int | None) -> list[Finding]:
        """The findings of ``new`` after ``old`` (two contracts of the same kind)."""
        if new.kind is ContractKind.JSON:
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
        findings: list[Finding] = []
        for direction in self.directions:
            writer, reader = (older, newer) if direction is Direction.BACKWARD else (newer, older)
            changes = diff_schemas(
                writer, reader, self.policy, prefix, self.cache, self.undeclared_required
            )
            finder = WitnessFinder(writer, reader) if self.witnesses else None
            for change in changes:
                breaking = not RULES[change.rule].accepted(self.policy)
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

    def asyncapi(self, old: Contract, new: Contract, version: int | None) -> list[Finding]:
        findings: list[Finding] = []
        for change in diff_documents(old, new):
            rule = RULES[change.rule]
            breaking_in = [d for d in self.directions if d in rule.breaks_in]
            direction = breaking_in[0] if breaking_in else self.directions[0]
            findings.append(
                Finding(
                    rule=change.rule,
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
    return Finding(
        rule=change.rule,
        path=change.path,
        message=describe(change, breaking, direction),
        breaking=breaking,
        direction=direction,
        witness=witness,
        witness_note=None if has_witness else note,
        has_witness=has_witness,
        version=version,
        channel=channel or change.channel,
        message_name=message_name or change.message_name,
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
    ``reader`` rejects. Unlike the version checks (which follow the Confluent registry), it
    also reports ``REQUIRED_UNDECLARED_PROPERTY_ADDED``: the reader requires a name that no
    ``properties`` declares and the writer does not require.
    """
    run = _Run(Level.BACKWARD, _enum(Policy, policy, "policy"), witnesses, undeclared_required=True)
    return run.schemas(writer, reader, None, prefix)
