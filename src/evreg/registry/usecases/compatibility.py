"""Compatibility: a new schema checked against a subject's earlier versions (the check a
registration makes, a Confluent compatibility test, evreg's own check with every finding, and
for an AsyncAPI contract the check of each payload subject a push would register)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from functools import partial

from evreg.contracts import Contract, ContractError, Finding, Level, Policy
from evreg.contracts.compat.check import Deferred
from evreg.contracts.compat.guard import PROVER
from evreg.contracts.model import DRAFT2020
from evreg.registry import compat_cache, contexts, errors
from evreg.registry.confluent_format import describe_finding, describe_rules, describe_type_mismatch
from evreg.registry.inputs import known, parse_level, parse_policy
from evreg.registry.payloads import DEFAULT_STRATEGY, contract_path, payload_subjects
from evreg.registry.store.bulk import SchemaHead
from evreg.registry.store.queries import VersionHead
from evreg.registry.store.work import ReadWork, WriteWork
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.prepare import prepare, stored_contract, stored_contract_by_id
from evreg.registry.usecases.reads import version_row
from evreg.registry.usecases.rules import effective, in_group, mode_of, with_data_contract
from evreg.registry.values import (
    CompatibilityResult,
    ContractCheck,
    PayloadCheck,
    Prepared,
    SchemaInput,
    VersionSpec,
)


def _checks(level: Level, direction: Level) -> bool:
    if direction is Level.BACKWARD:
        return level.checks_backward
    return level.checks_forward


class Compatibility:
    """Checks of a new schema against earlier versions, through the pair caches."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def check(
        self,
        work: ReadWork,
        subject: str,
        new: Prepared,
        against: Sequence[VersionHead],
        level: Level,
        policy: Policy,
        *,
        breaking_only: bool = False,
    ) -> CompatibilityResult:
        """``breaking_only``: the result's findings are only the breaking ones (its verdict and
        messages are the same): all a registration or a Confluent compatibility test shows,
        and far cheaper against a long history (no accepted change is listed)."""
        if level is Level.NONE or not against:
            return CompatibilityResult(True, level, policy)
        directions = [d for d in (Level.BACKWARD, Level.FORWARD) if _checks(level, d)]
        # (version, schema id), newest first (each ORM attribute read once)
        newest_first = [(row.version, row.schema_id) for row in reversed(against)]
        schemas = self.ctx.caches.heads.of(work, [schema_id for _, schema_id in newest_first])
        new_type = new.schema_type
        comparable = []
        for version, schema_id in newest_first:
            head = schemas.get(schema_id)
            if head is not None and head.schema_type == new_type:
                comparable.append((version, head))
        contracts = self.ctx.caches.contracts
        outlines = self.ctx.caches.outlines
        # the earlier versions not loaded in this process, by their stored outlines (loaded
        # only where a verdict they need is not stored): BACKWARD, breaking-only, JSON Schema
        lazy = breaking_only and directions == [Level.BACKWARD] and new.schema_type == "JSON"
        stored = outlines.stored(work) if lazy else None

        def load(heads: Sequence[SchemaHead]) -> list[Contract | Deferred]:
            # the rows, texts and references of the contracts to load, in three queries for
            # them all; the others from the cache, or by their stored outlines
            cached = contracts.cached([head.fingerprint for head in heads])
            unloaded = [h.fingerprint for h, c in zip(heads, cached, strict=True) if c is None]
            restored = outlines.restore(work, unloaded) if lazy and unloaded else {}
            rows = work.schema_rows(
                h.id
                for h, c in zip(heads, cached, strict=True)
                if c is None and h.fingerprint not in restored
            )
            references = work.prefetch(list(rows.values()))
            out: list[Contract | Deferred] = []
            for head, found in zip(heads, cached, strict=True):
                if found is None and head.fingerprint in restored:
                    one = partial(stored_contract_by_id, self.ctx, work, head.id)
                    out.append(Deferred(restored[head.fingerprint], one))
                    continue
                if found is None:
                    row = rows.get(head.id)
                    found = (
                        stored_contract_by_id(self.ctx, work, head.id)
                        if row is None  # pragma: no cover - foreign key
                        else stored_contract(self.ctx, work, row, references.get(head.id))
                    )
                out.append(found)
            return out

        inclusions = self.ctx.caches.inclusions
        unread = inclusions.unread([new.fingerprint, *(row.fingerprint for _, row in comparable)])
        if unread:  # what was proven before (by this process or another, before a restart)
            inclusions.read(unread, work.inclusions(unread, PROVER))
        found = {
            direction: compat_cache.pair_findings(
                self.ctx.caches.reports,
                comparable,
                load,
                new.fingerprint,
                new.contract,
                direction,
                policy,
                breaking_only,
                inclusions.known,
                stored,
            )
            for direction in directions
        }
        if stored is not None:
            if not isinstance(work, WriteWork):  # (a schema only checked: no outline kept)
                stored.outlines.pop(new.fingerprint, None)
            outlines.keep(stored)
        if isinstance(work, WriteWork):  # kept with the registration (those of checks too)
            work.add_inclusions(inclusions.known.take_proven(), PROVER)
            outlines.write(work)
        findings: list[Finding] = []
        messages: list[str] = []
        seen: set[tuple[object, ...]] = set()
        for version, schema_id in newest_first:
            old_row = schemas.get(schema_id)
            if old_row is None:  # pragma: no cover - foreign key
                continue
            if old_row.schema_type != new_type:
                messages.append(
                    describe_type_mismatch(subject, version, old_row.schema_type, new_type)
                )
                continue
            for direction in directions:
                for finding in found[direction][version]:  # numbered with this version
                    # FULL checks both directions: a change that breaks neither is listed once
                    key = (
                        finding.rule,
                        finding.path,
                        version,
                        finding.breaking,
                        finding.direction if finding.breaking else None,
                    )
                    if key in seen:
                        continue
                    seen.add(key)
                    findings.append(finding)
                    if finding.breaking:
                        messages.append(describe_finding(finding))
        ok = not messages
        if not ok:
            messages.append(describe_rules(level, policy))
        return CompatibilityResult(ok, level, policy, tuple(findings), tuple(messages))

    def test_compatibility(
        self,
        subject: str,
        given: SchemaInput,
        version: VersionSpec | None = None,
        *,
        breaking_only: bool = False,
    ) -> CompatibilityResult:
        """Would ``given`` be accepted after ``version`` (or after the live versions)?
        ``breaking_only``: list only the breaking findings (what the Confluent API shows)."""
        known(subject, missing_ok=True)
        subject = contexts.split(subject).subject
        with self.ctx.reading() as work:
            eff = effective(work, subject)
            live = work.live_heads(subject)
            if version is None:
                prepared = prepare(
                    self.ctx, work, with_data_contract(work, subject, given, eff), subject=subject
                )
                group = in_group(work, live, eff, prepared.input.metadata)
                against = group if eff.level.transitive else group[-1:]
            else:
                row = version_row(work, subject, version, deleted=False)
                prepared = prepare(self.ctx, work, given, subject=subject)
                against = [VersionHead(row.version, row.schema_id)]
            result = self.check(
                work,
                subject,
                prepared,
                against,
                eff.level,
                eff.policy,
                breaking_only=breaking_only,
            )
        if not result.is_compatible:
            self.ctx.stats.incompatible("check")
        return result

    def check_against(
        self,
        subject: str,
        given: SchemaInput,
        *,
        level: str | None = None,
        policy: str | None = None,
        payload_strategy: str | None = None,
    ) -> ContractCheck:
        """Like :meth:`test_compatibility` with an explicit level and policy (evreg's /api);
        an AsyncAPI contract's payload subjects are checked too, as a registration would
        (named by ``payload_strategy``, else the registry's default)."""
        known(subject, missing_ok=True)
        strategy = self.ctx.payload_strategy_of(payload_strategy)
        with self.ctx.reading() as work:
            eff = effective(work, subject)
            lvl = parse_level(level) if level is not None else eff.level
            pol = parse_policy(policy) if policy is not None else eff.policy
            live = work.live_heads(subject)
            prepared = prepare(
                self.ctx, work, with_data_contract(work, subject, given, eff), subject=subject
            )
            group = in_group(work, live, eff, prepared.input.metadata)
            against = group if lvl.transitive else group[-1:]
            result = self.check(work, subject, prepared, against, lvl, pol)
            payloads = self._check_payloads(work, subject, prepared, level, policy, strategy)
            if not (result.is_compatible and all(p.result.is_compatible for p in payloads)):
                self.ctx.stats.incompatible("check")
            return ContractCheck(
                result.is_compatible,
                result.level,
                result.policy,
                result.findings,
                result.messages,
                payloads=payloads,
            )

    def _check_payloads(
        self,
        work: ReadWork,
        subject: str,
        contract: Prepared,
        level: str | None,
        policy: str | None,
        strategy: str = DEFAULT_STRATEGY,
    ) -> tuple[PayloadCheck, ...]:
        """The payload subjects a registration would derive from ``contract`` (named by
        ``strategy``), each checked against its own live versions under its own config (or
        ``level`` / ``policy``)."""
        if (
            not self.ctx.payload_subjects
            or contract.schema_type != "ASYNCAPI"
            or mode_of(work, subject) == "IMPORT"
        ):
            return ()
        try:
            derived = payload_subjects(contract.contract, strategy)
        except ContractError as exc:
            raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
        out: list[PayloadCheck] = []
        for item in derived:
            payload = prepare(
                self.ctx,
                work,
                SchemaInput(
                    schema=json.dumps(item.schema, ensure_ascii=False),
                    schema_type=item.schema_type,
                    default_draft=DRAFT2020,  # how the contract reads its payloads
                ),
                subject=item.subject,
            )
            eff = effective(work, item.subject)
            lvl = parse_level(level) if level is not None else eff.level
            pol = parse_policy(policy) if policy is not None else eff.policy
            live = work.live_heads(item.subject)
            same = work.find_schema_id(payload.fingerprint, payload.schema_type)
            unchanged = same is not None and any(row.schema_id == same for row in live)
            if unchanged:  # registering it again is a no-op, as in Registration.register
                result = CompatibilityResult(True, lvl, pol)
            else:
                against = live if lvl.transitive else live[-1:]
                result = self.check(work, item.subject, payload, against, lvl, pol)
            address = item.address
            findings = []
            for finding in result.findings:
                path, message = contract_path(item, finding.path)
                findings.append(
                    dataclasses.replace(
                        finding,
                        path=path,
                        channel=finding.channel or address,
                        message_name=finding.message_name or message,
                    )
                )
            out.append(
                PayloadCheck(
                    item.subject,
                    item.channel,
                    address,
                    dataclasses.replace(result, findings=tuple(findings)),
                    registered=bool(live),
                    unchanged=unchanged,
                )
            )
        return tuple(out)
