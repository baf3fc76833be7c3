"""PostgreSQL: the subject summaries' name index in ``C`` collation, the order the lists use.

``GET /subjects``, search and the web UI's subject list order names by code point
(``summaries.name_order``: ``subject COLLATE "C"`` on PostgreSQL). Migration 0003 built
``ix_subject_summaries_subject_version`` in the database's collation, which cannot serve that
order, so PostgreSQL sorted every name on each request. This rebuilds the same index, same
columns, with its ``subject`` in ``C`` collation: the listing becomes an index-only scan in the
order wanted. SQLite compares bytes already (its ``BINARY`` collation), so nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_INDEX = "ix_subject_summaries_subject_version"


def _rebuild(subject: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {_INDEX}")
    op.execute(f"CREATE INDEX {_INDEX} ON subject_summaries ({subject}, version)")


def upgrade() -> None:
    _rebuild('subject COLLATE "C"')


def downgrade() -> None:
    _rebuild("subject")
