"""The audit log: events recorded in the writer's transaction, and read as the API and the UI
show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from evreg.registry.store.tables import AuditEvent, utcnow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event of the audit log, as the API and the UI show it."""

    id: int
    at: str
    actor: str
    action: str
    subject: str | None
    version: int | None
    schema_id: int | None
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "version": self.version,
            "schemaId": self.schema_id,
            "before": self.before,
            "after": self.after,
        }


def audit_entry(row: Any) -> AuditEntry:
    """An audit row (an :class:`AuditEvent`, or a row of a select over its table) as an entry."""
    at: datetime | None = row.at
    return AuditEntry(
        id=int(row.id or 0),
        at=at.isoformat() if at is not None else "",
        actor=str(row.actor),
        action=str(row.action),
        subject=row.subject,
        version=row.version,
        schema_id=row.schema_id,
        before=row.before,
        after=row.after,
    )


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    version: int | None = None,
    schema_id: int | None = None,
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> AuditEvent:
    row = AuditEvent(
        at=at or utcnow(),
        actor=actor,
        action=action,
        subject=subject,
        version=version,
        schema_id=schema_id,
        before=before,
        after=after,
    )
    session.add(row)
    session.flush()
    return row


def audit_events(
    session: Session, *, after_id: int = 0, limit: int = 100, subject: str | None = None
) -> list[AuditEvent]:
    statement = select(AuditEvent).where(col(AuditEvent.id) > after_id)
    if subject is not None:
        statement = statement.where(AuditEvent.subject == subject)
    return list(session.exec(statement.order_by(col(AuditEvent.id)).limit(limit)).all())
