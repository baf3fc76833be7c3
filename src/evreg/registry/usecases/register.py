"""Registering a schema under a subject: checked against the subject's live versions inside the
write transaction that holds the subject's lock; an AsyncAPI contract also registers the payload
subjects derived from it, in the same transaction."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from evreg.contracts import ContractError
from evreg.contracts.model import DRAFT2020
from evreg.registry import contexts, errors, flow
from evreg.registry.inputs import check_subject_name
from evreg.registry.payloads import PayloadSubject, payload_subjects
from evreg.registry.store.queries import SchemaExtras, public_id
from evreg.registry.store.tables import DEFAULT_CONTEXT
from evreg.registry.store.work import WriteWork
from evreg.registry.usecases.compatibility import Compatibility
from evreg.registry.usecases.consumers import ConsumerChecks
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.prepare import prepare
from evreg.registry.usecases.reads import registered
from evreg.registry.usecases.rules import effective, in_group, mode_of, with_data_contract
from evreg.registry.values import Prepared, RegisteredVersion, SchemaInput


class Registration:
    """Register schemas (idempotent for a schema already live under the subject)."""

    def __init__(self, ctx: Context, checks: Compatibility, consumers: ConsumerChecks) -> None:
        self.ctx = ctx
        self.checks = checks
        self.consumers = consumers

    def register(
        self,
        subject: str,
        given: SchemaInput,
        *,
        actor: str = "anonymous",
        schema_id: int | None = None,
        version: int | None = None,
        application: str | None = None,
        payload_strategy: str | None = None,
    ) -> RegisteredVersion:
        """Register ``given`` under ``subject``; idempotent for a schema already live there.

        An AsyncAPI contract also registers, in the same transaction, the payload of each
        message its application sends as a JSON subject named by ``payload_strategy``
        (``?payloadSubjectStrategy=``, else the registry's default; see
        :mod:`evreg.registry.payloads`): either the contract and all its payload subjects are
        registered, or none is. ``application`` (``?application=``) names the contract's
        application when the document does not.

        The text is loaded once: an AsyncAPI push is prepared before the write transaction
        (its payload subjects are locked with the subject), and that preparation is used inside
        it unless a reference it pins to ``latest`` has moved meanwhile.
        """
        check_subject_name(subject)
        located = contexts.split(subject)
        if not located.name:
            raise errors.InvalidSubject(
                f"Invalid subject {subject!r}: a context ({located.context}) is no subject"
            )
        subject = located.subject
        application = flow.application_parameter(application)
        strategy = self.ctx.payload_strategy_of(payload_strategy)
        derived: list[PayloadSubject] = []
        early: Prepared | None = None
        if self.ctx.payload_subjects and (given.schema_type or "").upper() == "ASYNCAPI":
            with self.ctx.reading() as work:
                early = prepare(self.ctx, work, given, subject=subject)
            try:
                derived = payload_subjects(early.contract, strategy)
            except ContractError as exc:
                raise errors.InvalidSchema(f"Invalid schema: {exc}") from None
            derived = [
                dataclasses.replace(d, subject=contexts.qualify(located.context, d.subject))
                for d in derived
            ]
            for item in derived:
                check_subject_name(item.subject)
        # ids of a context other than the default one are allocated under its lock
        context_lock = [] if located.is_default else [contexts.context_key(located.context)]
        with self.ctx.writing(subject, *(d.subject for d in derived), *context_lock) as work:
            # (a version made now is numbered past every stored one: no need to read them)
            newest_before = work.max_version(subject)
            result, prepared = self._register_locked(
                work, subject, given, early, actor=actor, schema_id=schema_id, version=version
            )
            importing = mode_of(work, subject) == "IMPORT"
            made = result.version > newest_before
            if result.schema_type == "ASYNCAPI" and made and not importing:
                self.consumers.block_on_consumers(
                    work, subject, prepared, result.version, application
                )
            if application is not None and result.schema_type == "ASYNCAPI":
                self.consumers.name_application(work, result, application, actor)
            if derived and not importing:
                for item in derived:
                    payload = SchemaInput(
                        schema=json.dumps(item.schema, ensure_ascii=False),
                        schema_type=item.schema_type,
                        default_draft=DRAFT2020,  # how the contract reads its payloads
                    )
                    self._register_locked(
                        work,
                        item.subject,
                        payload,
                        actor=actor,
                        derived_from={
                            "subject": subject,
                            "version": result.version,
                            "channel": item.channel,
                            "messages": list(item.messages),
                            "strategy": strategy,
                        },
                    )
            return result

    def _register_locked(
        self,
        work: WriteWork,
        subject: str,
        given: SchemaInput,
        early: Prepared | None = None,
        *,
        actor: str,
        schema_id: int | None = None,
        version: int | None = None,
        derived_from: dict[str, Any] | None = None,
    ) -> tuple[RegisteredVersion, Prepared]:
        """The version ``given`` is (or becomes) under ``subject``, and ``given`` prepared
        (``early``, prepared before the transaction, unless its pinned references moved)."""
        mode = mode_of(work, subject)
        if mode == "READONLY":
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        importing = mode == "IMPORT"
        explicit = (schema_id or 0) > 0 or (version or 0) > 0
        if explicit and not importing:
            raise errors.OperationNotPermitted(
                f"Subject {subject} is not in import mode: id and version cannot be set"
            )
        eff = effective(work, subject)
        if not importing:
            given = with_data_contract(work, subject, given, eff)
        prepared = prepare(self.ctx, work, given, early, subject=subject)
        live = work.live_heads(subject)
        existing_id = work.find_schema_id(prepared.fingerprint, prepared.schema_type)
        if existing_id is not None:
            same = next((head for head in reversed(live) if head.schema_id == existing_id), None)
            row = None if same is None else work.get_version(subject, same.version)
            if row is not None:  # (read under the subject's lock: it is there if same is)
                return registered(work, row), prepared
        if not importing:
            group = in_group(work, live, eff, prepared.input.metadata)
            against = group if eff.level.transitive else group[-1:]
            result = self.checks.check(
                work, subject, prepared, against, eff.level, eff.policy, breaking_only=True
            )
            if not result.is_compatible:
                self.ctx.stats.incompatible("register")
                raise errors.IncompatibleSchema(subject, result.messages, result)
        new_id = self._insert_schema(work, prepared, schema_id if importing else None)
        number = self._next_version(work, subject, version if importing else None)
        work.add_version(subject, number, new_id)
        work.refresh_summary(subject)
        after: dict[str, Any] = {
            "schemaType": prepared.schema_type,
            "fingerprint": prepared.contract.fingerprint,
            "references": [dataclasses.asdict(r) for r in prepared.references],
        }
        if derived_from is not None:
            after["derivedFrom"] = derived_from
        work.audit(
            actor=actor,
            action="schema.register",
            subject=subject,
            version=number,
            schema_id=new_id,
            after=after,
        )
        work.on_commit(self.ctx.stats.registered)
        if prepared.input.metadata is not None:
            after["metadata"] = json.loads(prepared.input.metadata)
        if prepared.input.rule_set is not None:
            after["ruleSet"] = json.loads(prepared.input.rule_set)
        new_row = work.get_schema(new_id)
        version_made = RegisteredVersion(
            subject=subject,
            version=number,
            id=public_id(new_row) if new_row is not None else new_id,
            schema_type=prepared.schema_type,
            schema=prepared.contract.canonical,
            references=prepared.references,
            metadata=prepared.input.metadata,
            rule_set=prepared.input.rule_set,
        )
        return version_made, prepared

    @staticmethod
    def _insert_schema(work: WriteWork, prepared: Prepared, wanted_id: int | None) -> int:
        """The row id of the prepared schema, inserted if new; ``wanted_id`` (IMPORT mode) is
        its id in its context."""
        if wanted_id is not None and wanted_id > 0:
            row = work.schema_in_context(prepared.context, wanted_id)
            if row is not None:
                if row.fingerprint != prepared.fingerprint:
                    raise errors.OperationNotPermitted(
                        f"Overwrite new schema with id {wanted_id} is not permitted"
                    )
                return int(row.id or 0)
            if prepared.context == DEFAULT_CONTEXT and work.get_schema(wanted_id) is not None:
                raise errors.OperationNotPermitted(
                    f"Overwrite new schema with id {wanted_id} is not permitted"
                )
            existing = work.find_schema_id(prepared.fingerprint, prepared.schema_type)
            if existing is not None:
                found = work.get_schema(existing)
                raise errors.IdDoesNotMatch(
                    f"Schema already registered with id "
                    f"{public_id(found) if found else existing} instead of input id {wanted_id}"
                )
        else:
            wanted_id = None
        return work.insert_schema(
            schema_type=prepared.schema_type,
            canonical=prepared.contract.canonical,
            content_fingerprint=prepared.contract.fingerprint,
            fingerprint=prepared.fingerprint,
            references=prepared.references,
            schema_id=wanted_id,
            extras=SchemaExtras(
                metadata_json=prepared.input.metadata,
                rule_set_json=prepared.input.rule_set,
                context=prepared.context,
                default_draft=prepared.draft,
            ),
        )

    @staticmethod
    def _next_version(work: WriteWork, subject: str, wanted: int | None) -> int:
        if wanted is not None and wanted > 0:
            if work.get_version(subject, wanted) is not None:
                raise errors.OperationNotPermitted(
                    f"Version {wanted} already exists for subject {subject}"
                )
            return wanted
        return work.max_version(subject) + 1
