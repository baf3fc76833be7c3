"""Deletes: a subject or one version (soft, then permanent), and the deletion of a per-subject
setting (config, mode, consumer checks), each recorded in the audit log in its transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from evreg.registry import errors
from evreg.registry.inputs import known
from evreg.registry.store.tables import SubjectVersion
from evreg.registry.store.work import ReadWork, WriteWork
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.rules import config_dict, mode_of
from evreg.registry.values import VersionSpec

Row = TypeVar("Row")


def delete_setting(
    work: WriteWork,
    deleted: Row | None,
    *,
    actor: str,
    action: str,
    subject: str | None,
    recorded: Callable[[Row], dict[str, Any] | None],
    missing: errors.RegistryError | None,
) -> Row | None:
    """Audit the deletion of a setting's row (``deleted``, the row ``work`` just deleted, with
    ``recorded(row)`` as the event's ``before``); None when there was no row, which raises
    ``missing`` if given (the transaction then rolls back)."""
    if deleted is None and missing is not None:
        raise missing
    before = recorded(deleted) if deleted is not None else None
    work.audit(actor=actor, action=action, subject=subject, before=before)
    return deleted


def refuse_if_referenced(work: ReadWork, subject: str, version: int) -> None:
    users = work.referenced_by(subject, version)
    if users:
        raise errors.ReferenceExists(
            f"One or more references exist to the schema {{subject={subject}, "
            f"version={version}}} (schema ids {', '.join(map(str, users))})"
        )


class Deletes:
    """Soft and permanent deletes of subjects and versions."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def _every_version(work: WriteWork, subject: str) -> list[SubjectVersion]:
        """The subject's versions, soft-deleted ones included, unless it is read-only (or
        has none)."""
        if mode_of(work, subject) == "READONLY":
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        every = work.versions(subject, deleted=True)
        if not every:
            raise errors.SubjectNotFound(subject)
        return every

    def delete_subject(
        self, subject: str, *, permanent: bool = False, actor: str = "anonymous"
    ) -> list[int]:
        known(subject)
        with self.ctx.writing(subject) as work:
            every = self._every_version(work, subject)
            live = [r for r in every if not r.deleted]
            if permanent:
                if live:
                    raise errors.SubjectNotSoftDeleted(subject)
                self.ctx.changed_on_commit(work)
                for row in every:
                    work.delete_version_row(row)
                config = config_dict(work.delete_config(subject))
                mode = work.delete_mode(subject)
                numbers = [r.version for r in every]
                action = "subject.delete.permanent"
                # the subject-level config and mode go with it: recorded here, not lost
                before: dict[str, Any] = {"versions": numbers, "deleted": True}
                if config is not None:
                    before["config"] = config
                if mode is not None:
                    before["mode"] = mode.mode
                after: dict[str, Any] | None = None
            else:
                if not live:
                    raise errors.SubjectSoftDeleted(subject)
                for row in live:
                    refuse_if_referenced(work, subject, row.version)
                work.soft_delete(live)
                numbers = [r.version for r in live]
                action = "subject.delete"
                before = {"versions": numbers, "deleted": False}
                after = {"versions": numbers, "deleted": True}
            work.refresh_summary(subject)
            work.audit(actor=actor, action=action, subject=subject, before=before, after=after)
            return numbers

    def delete_version(
        self,
        subject: str,
        version: VersionSpec,
        *,
        permanent: bool = False,
        actor: str = "anonymous",
    ) -> int:
        known(subject)
        with self.ctx.writing(subject) as work:
            every = self._every_version(work, subject)
            if version == "latest":
                pool = every if permanent else [r for r in every if not r.deleted]
                if not pool:
                    raise errors.SubjectNotFound(subject)
                row = pool[-1]
            else:
                found = [r for r in every if r.version == version]
                if not found:
                    raise errors.VersionNotFound(subject, version)
                row = found[0]
            if permanent:
                if not row.deleted:
                    raise errors.VersionNotSoftDeleted(subject, row.version)
                refuse_if_referenced(work, subject, row.version)
                self.ctx.changed_on_commit(work)
                work.delete_version_row(row)
                action = "version.delete.permanent"
            else:
                if row.deleted:
                    raise errors.VersionSoftDeleted(subject, row.version)
                refuse_if_referenced(work, subject, row.version)
                work.soft_delete([row])
                action = "version.delete"
            work.refresh_summary(subject)
            work.audit(
                actor=actor,
                action=action,
                subject=subject,
                version=row.version,
                schema_id=row.schema_id,
                before={"deleted": permanent},  # a permanent delete needs a soft one first
                after=None if permanent else {"deleted": True},
            )
            return row.version
