"""evreg's read-only views for ``/api`` and the UI: diffs, the AsyncAPI view of a contract,
search and the audit log."""

from __future__ import annotations

from typing import Any

from evreg.contracts import Contract, ContractError, Report, check_compatibility
from evreg.contracts.patterns import PatternError
from evreg.registry import compat_cache, errors
from evreg.registry.inputs import known, parse_level, parse_policy, storable
from evreg.registry.payloads import payload_subjects
from evreg.registry.store import search_text
from evreg.registry.usecases.compatibility import Compatibility
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.prepare import stored_contract_by_id
from evreg.registry.usecases.reads import version_row
from evreg.registry.usecases.rules import effective
from evreg.registry.values import AuditEntry, ContractCheck, SchemaInput, SearchHit, VersionSpec


def channel_entries(contract: Contract, strategy: str) -> list[dict[str, Any]]:
    """An AsyncAPI contract's channels, each with the payload subjects a push of it under
    ``strategy`` registers (none when record names clash: such a push is refused)."""
    payloads: dict[str, list[str]] = {}  # channel key -> payload subjects
    try:
        for item in payload_subjects(contract, strategy):
            for key in item.channels:
                payloads.setdefault(key, []).append(item.subject)
    except ContractError:
        payloads = {}
    return [
        {
            "key": c.key,
            "address": c.address,
            "description": c.description,
            "messages": list(c.messages),
            "payloadSubject": (payloads[c.key][0] if len(payloads.get(c.key, ())) == 1 else None),
            "payloadSubjects": payloads.get(c.key, []),
        }
        for c in contract.channels.values()
    ]


def operation_entries(contract: Contract) -> list[dict[str, Any]]:
    """An AsyncAPI contract's operations."""
    return [
        {
            "key": o.key,
            "action": o.action,
            "channel": o.channel,
            "messages": list(o.messages),
            "description": o.description,
        }
        for o in contract.operations.values()
    ]


class Views:
    """Read-only views for ``/api`` and the UI: diffs, the AsyncAPI view, search, the audit log."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def contract(self, schema_id: int) -> Contract:
        """The stored schema with this id as a loaded contract (cached once loaded)."""
        with self.ctx.reading() as work:
            return stored_contract_by_id(self.ctx, work, schema_id)

    def audit(
        self, *, after: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[AuditEntry]:
        if subject is not None and not storable(subject):
            return []
        with self.ctx.reading() as work:
            return work.audit_events(after_id=after, limit=limit, subject=subject)

    def diff(
        self,
        subject: str,
        old: VersionSpec,
        new: VersionSpec,
        *,
        level: str | None = None,
        policy: str | None = None,
    ) -> Report:
        """The full report (every finding, witnesses) of version ``new`` after ``old``."""
        known(subject)
        with self.ctx.reading() as work:
            eff = effective(work, subject)
            lvl = parse_level(level) if level is not None else eff.level
            pol = parse_policy(policy) if policy is not None else eff.policy
            rows = [version_row(work, subject, spec, deleted=True) for spec in (old, new)]
            contracts = [stored_contract_by_id(self.ctx, work, row.schema_id) for row in rows]
        try:
            return check_compatibility(contracts[0], contracts[1], level=lvl, policy=pol)
        except PatternError as exc:
            sides = [(f"version {row.version}", c) for row, c in zip(rows, contracts, strict=True)]
            raise compat_cache.pattern_refused(exc, sides) from None
        except ContractError as exc:
            raise errors.InvalidSchema(f"Cannot compare: {exc}") from None

    def check(
        self,
        subject: str,
        given: SchemaInput,
        *,
        level: str | None,
        policy: str | None,
        payload_strategy: str | None = None,
    ) -> ContractCheck:
        """Would ``given`` be accepted on ``subject`` (and, for an AsyncAPI contract, on each
        payload subject a push would register)? Every finding, with witnesses."""
        return Compatibility(self.ctx).check_against(
            subject, given, level=level, policy=policy, payload_strategy=payload_strategy
        )

    def asyncapi(self, subject: str, version: VersionSpec) -> dict[str, Any]:
        """Channels, operations and messages of an AsyncAPI version, payloads by pointer."""
        known(subject)
        with self.ctx.reading() as work:
            row = version_row(work, subject, version, deleted=False)
            schema = work.get_schema(row.schema_id)
            if schema is None:  # pragma: no cover - foreign key
                raise errors.SchemaNotFound()
            if schema.schema_type != "ASYNCAPI":
                raise errors.InvalidSchema(
                    f"Subject '{subject}' version {row.version} is a {schema.schema_type} "
                    "schema, not an AsyncAPI contract"
                )
            contract = stored_contract_by_id(self.ctx, work, row.schema_id)
        return {
            "subject": subject,
            "version": row.version,
            "id": row.schema_id,
            "asyncapi": contract.version,
            "title": contract.title,
            "channels": channel_entries(contract, self.ctx.payload_strategy),
            "operations": operation_entries(contract),
            "messages": [
                {
                    "key": m.key,
                    "name": m.name,
                    "title": m.title,
                    "summary": m.summary,
                    "contentType": m.content_type,
                    "payload": m.payload.pointer if m.payload else None,
                    "headers": m.headers.pointer if m.headers else None,
                    "examples": len(m.examples),
                }
                for m in contract.messages.values()
            ],
        }

    def search(self, text_query: str, *, limit: int = 50) -> list[SearchHit]:
        """Latest live versions whose subject name, or latest schema's titles, names, channel
        addresses, summaries, descriptions or property names, contain ``text_query`` (any case:
        ``str.casefold``); by subject name. One query over the subject summaries."""
        if not storable(text_query):
            return []
        needle = search_text.fold(text_query)
        if not needle:
            return []
        with self.ctx.reading() as work:
            found = work.search(needle, limit=limit)
        return [
            SearchHit(
                f.subject,
                f.version,
                f.schema_id,
                f.schema_type,
                "subject" if needle in f.subject.casefold() else "schema",
            )
            for f in found
        ]
