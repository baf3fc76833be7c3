"""Compatibility config (level and policy) and mode, global or per subject."""

from __future__ import annotations

from typing import Any

from evreg.contracts import Level, Policy
from evreg.registry import contexts, errors
from evreg.registry.inputs import (
    check_subject_name,
    parse_level,
    parse_mode,
    parse_policy,
    storable,
)
from evreg.registry.store.queries import config_extra
from evreg.registry.store.tables import GLOBAL
from evreg.registry.usecases.context import Context
from evreg.registry.usecases.deletes import delete_setting
from evreg.registry.usecases.rules import config_dict, effective, mode_of
from evreg.registry.values import DEFAULT_LEVEL, ConfigView


class ConfigAndMode:
    """Get, set and delete the compatibility config and the mode."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get_config(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> ConfigView:
        if subject is not None and not storable(subject):
            raise errors.SubjectConfigNotFound(subject)
        with self.ctx.reading() as work:
            if subject:
                row = work.get_config(subject)
                if row is None and not default_to_global:
                    raise errors.SubjectConfigNotFound(subject)
                if row is not None and not default_to_global:
                    eff = effective(work, subject)
                    return ConfigView(
                        Level(row.compatibility_level) if row.compatibility_level else eff.level,
                        Policy(row.compatibility_policy) if row.compatibility_policy else None,
                        config_extra(row),
                    )
            eff = effective(work, subject)
            return ConfigView(eff.level, eff.policy, eff.extra)

    def set_config(
        self,
        subject: str | None,
        level: str | None,
        policy: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        actor: str = "anonymous",
    ) -> ConfigView:
        """Set the fields given: level, policy, and Confluent's other config fields
        (``extra``, checked by :func:`data_contracts.config_fields`)."""
        if subject:
            check_subject_name(subject)
            contexts.split(subject)  # a malformed context is refused, not stored
        if level is None and policy is None and not extra:
            raise errors.InvalidCompatibilityLevel(
                "Invalid compatibility level: give compatibility, compatibilityPolicy or "
                "another config field"
            )
        lvl = parse_level(level) if level is not None else None
        pol = parse_policy(policy) if policy is not None else None
        key = subject or GLOBAL
        with self.ctx.writing() as work:
            before_view = config_dict(work.get_config(key))
            row = work.put_config(
                key, lvl.value if lvl else None, pol.value if pol else None, extra
            )
            work.audit(
                actor=actor,
                action="config.set",
                subject=subject,
                before=before_view,
                after=config_dict(row),
            )
            return ConfigView(
                Level(row.compatibility_level) if row.compatibility_level else DEFAULT_LEVEL,
                Policy(row.compatibility_policy) if row.compatibility_policy else None,
                config_extra(row),
            )

    def delete_config(self, subject: str | None, *, actor: str = "anonymous") -> ConfigView:
        if subject is not None and not storable(subject):
            raise errors.SubjectConfigNotFound(subject)
        with self.ctx.writing() as work:
            before = delete_setting(
                work,
                work.delete_config(subject or GLOBAL),
                actor=actor,
                action="config.delete",
                subject=subject,
                recorded=config_dict,
                missing=errors.SubjectConfigNotFound(subject) if subject else None,
            )
            return ConfigView(
                Level(before.compatibility_level)
                if before and before.compatibility_level
                else DEFAULT_LEVEL,
                Policy(before.compatibility_policy)
                if before and before.compatibility_policy
                else None,
                config_extra(before),
            )

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = False) -> str:
        if subject is not None and not storable(subject):
            raise errors.SubjectModeNotFound(subject)
        with self.ctx.reading() as work:
            if subject and not default_to_global:
                row = work.get_mode(subject)
                if row is None:
                    raise errors.SubjectModeNotFound(subject)
                return row.mode
            return mode_of(work, subject)

    def set_mode(
        self, subject: str | None, mode: str, *, force: bool = False, actor: str = "anonymous"
    ) -> str:
        if subject:
            check_subject_name(subject)
        value = parse_mode(mode)
        key = subject or GLOBAL
        with self.ctx.writing(*([subject] if subject else [])) as work:
            if value == "IMPORT" and not force:
                existing = (
                    work.versions(subject, deleted=True) if subject else work.subjects(deleted=True)
                )
                if existing:
                    raise errors.OperationNotPermitted(
                        "Cannot import since found existing subjects (use force=true to override)"
                    )
            before = work.get_mode(key)
            before_mode = {"mode": before.mode} if before else None
            work.put_mode(key, value)
            work.audit(
                actor=actor,
                action="mode.set",
                subject=subject,
                before=before_mode,
                after={"mode": value},
            )
            return value

    def delete_mode(self, subject: str, *, actor: str = "anonymous") -> str:
        if not storable(subject):
            raise errors.SubjectModeNotFound(subject)
        with self.ctx.writing(subject) as work:
            before = delete_setting(
                work,
                work.delete_mode(subject),
                actor=actor,
                action="mode.delete",
                subject=subject,
                recorded=lambda row: {"mode": row.mode},
                missing=errors.SubjectModeNotFound(subject),
            )
            assert before is not None  # else SubjectModeNotFound
            return before.mode
