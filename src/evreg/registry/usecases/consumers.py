"""Consumer-aware checks (what registering a contract would break for the applications that
talk to its application) and the event-flow map, over the latest live contracts."""

from __future__ import annotations

from collections.abc import Mapping

from evreg.contracts import Contract, ContractError, Policy
from evreg.registry import errors, flow
from evreg.registry.inputs import check_subject_name, known
from evreg.registry.store.tables import GLOBAL
from evreg.registry.store.work import ReadWork, WriteWork
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.deletes import delete_setting
from evreg.registry.usecases.prepare import prepare, stored_contract_by_id
from evreg.registry.usecases.rules import consumer_checks_of, effective
from evreg.registry.values import Prepared, RegisteredVersion, SchemaInput

MAX_CACHED_ENDPOINTS = 4096


def live_endpoints(
    ctx: Context,
    work: ReadWork,
    *,
    exclude: str | None = None,
    named: Mapping[tuple[str, int], str] | None = None,
) -> list[flow.Endpoint]:
    """The endpoints of the latest live version of every AsyncAPI subject (but ``exclude``);
    ``named`` holds the ``--application`` each (subject, version) was pushed with, if any.

    One query (the subject summaries hold each subject's latest live version and its type);
    a schema is read and parsed only when its endpoints are not cached yet (a schema id's
    content never changes)."""
    cache = ctx.caches.endpoints
    out: list[flow.Endpoint] = []
    for subject, version, schema_id in work.latest_asyncapi():
        if subject == exclude:
            continue
        application = (named or {}).get((subject, version))
        key = f"{schema_id}:{subject}:{version}:{application or ''}"
        found = cache.get(key)
        if found is None:
            try:
                contract = stored_contract_by_id(ctx, work, schema_id)
                found = tuple(flow.endpoints(contract, subject, version, application))
            except ContractError:
                found = ()
            if len(cache) > MAX_CACHED_ENDPOINTS:
                cache.clear()
            cache[key] = found
        out.extend(found)
    return out


class ConsumerChecks:
    """Consumer-aware checks, their settings, the applications contracts were pushed for, and
    the event-flow map."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(
        self,
        work: ReadWork,
        subject: str | None,
        contract: Contract,
        version: int | None,
        mode: str,
        application: str | None = None,
    ) -> flow.ConsumerCheck:
        if not contract.is_asyncapi:
            return flow.ConsumerCheck(mode, None)
        name = subject or "<contract>"
        mine = flow.endpoints(contract, name, version, application)
        app = flow.application_of(contract, application or name)
        if mode == "off":
            return flow.ConsumerCheck(mode, app)
        others = live_endpoints(self.ctx, work, exclude=subject, named=work.applications())
        policy = effective(work, subject).policy
        found = flow.check_endpoints(mine, others, policy)
        return flow.ConsumerCheck(mode, app, tuple(found))

    def block_on_consumers(
        self,
        work: WriteWork,
        subject: str,
        prepared: Prepared,
        version: int,
        application: str | None = None,
    ) -> None:
        """Refuse (409) a new contract version that breaks a peer, under ``block``."""
        mode = consumer_checks_of(work, subject)
        if mode != "block":
            return
        result = self._check(work, subject, prepared.contract, version, mode, application)
        if result.findings:
            details = [flow.describe_consumer_finding(f) for f in result.findings]
            details.append("{consumerChecks:'block'}")
            raise errors.IncompatibleSchema(subject, details, result)

    def consumer_check(
        self, subject: str, given: SchemaInput, application: str | None = None
    ) -> flow.ConsumerCheck:
        """What registering ``given`` under ``subject`` would break for its peers.
        ``application`` names its application when the document does not (else the one the
        subject's latest version was pushed for, else the subject name)."""
        known(subject, missing_ok=True)
        application = flow.application_parameter(application)
        with self.ctx.reading() as work:
            prepared = prepare(self.ctx, work, given, subject=subject)
            live = work.versions(subject)
            number = (live[-1].version + 1) if live else 1
            if application is None and live:
                application = work.applications().get((subject, live[-1].version))
            mode = consumer_checks_of(work, subject)
            return self._check(
                work,
                subject,
                prepared.contract,
                number,
                "warn" if mode == "off" else mode,
                application,
            )

    def can_i_deploy(
        self, given: SchemaInput, application: str | None = None
    ) -> flow.ConsumerCheck:
        """Can every application that talks to this contract's application today still?"""
        application = flow.application_parameter(application)
        with self.ctx.reading() as work:
            prepared = prepare(self.ctx, work, given)
            mode = consumer_checks_of(work, None)
            return self._check(
                work,
                None,
                prepared.contract,
                None,
                "warn" if mode == "off" else mode,
                application,
            )

    @staticmethod
    def name_application(
        work: WriteWork, registered: RegisteredVersion, name: str, actor: str
    ) -> None:
        """Remember the application a contract version was pushed for (audited on change)."""
        before = work.get_application(registered.subject, registered.version)
        if before is not None and (before.name, before.schema_id) == (name, registered.id):
            return
        before_name = {"application": before.name} if before else None
        work.put_application(registered.subject, registered.version, registered.id, name)
        work.audit(
            actor=actor,
            action="application.set",
            subject=registered.subject,
            version=registered.version,
            schema_id=registered.id,
            before=before_name,
            after={"application": name},
        )

    def flow_map(self) -> flow.FlowMap:
        """The map, each edge checked: can the receiver read what the sender sends (under
        the receiver subject's policy)?"""
        with self.ctx.reading() as work:
            found = live_endpoints(self.ctx, work, named=work.applications())
            policies: dict[str, Policy] = {}

            def policy_of(subject: str) -> Policy:
                if subject not in policies:
                    policies[subject] = effective(work, subject).policy
                return policies[subject]

            return flow.FlowMap(tuple(found), flow.edge_findings(found, policy_of))

    def get_consumer_checks(self, subject: str | None = None) -> str:
        if subject is not None:
            known(subject, missing_ok=True)
        with self.ctx.reading() as work:
            return consumer_checks_of(work, subject)

    def set_consumer_checks(
        self, subject: str | None, mode: str, *, actor: str = "anonymous"
    ) -> str:
        if subject:
            check_subject_name(subject)
        wanted = mode.lower() if isinstance(mode, str) else ""
        if wanted not in flow.CONSUMER_CHECK_MODES:
            raise errors.InvalidMode(
                f"Invalid consumerChecks {mode!r}: choose from block, warn, off"
            )
        with self.ctx.writing() as work:
            before = work.get_consumer_checks(subject or GLOBAL)
            before_mode = {"consumerChecks": before.mode} if before else None
            work.put_consumer_checks(subject or GLOBAL, wanted)
            work.audit(
                actor=actor,
                action="consumer-checks.set",
                subject=subject,
                before=before_mode,
                after={"consumerChecks": wanted},
            )
            return wanted

    def delete_consumer_checks(self, subject: str, *, actor: str = "anonymous") -> str:
        known(subject, missing_ok=True)
        with self.ctx.writing() as work:
            before = delete_setting(
                work,
                work.delete_consumer_checks(subject),
                actor=actor,
                action="consumer-checks.delete",
                subject=subject,
                recorded=lambda row: {"consumerChecks": row.mode},
                missing=errors.SubjectConfigNotFound(subject, "consumerChecks"),
            )
            assert before is not None  # else SubjectConfigNotFound
            return before.mode
