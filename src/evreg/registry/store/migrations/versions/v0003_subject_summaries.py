"""Subject summaries: each subject's latest live version and its search text, for list and search.

Backfilled from the existing versions and schemas (``store.summaries.rebuild``); from then on
the service keeps each row in step inside every registration and deletion.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from evreg.registry.store import summaries

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subject_summaries",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("schema_id", sa.Integer(), nullable=True),
        sa.Column("schema_type", sa.String(length=16), nullable=True),
        sa.Column("live_versions", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_subject_summaries_subject_version", "subject_summaries", ["subject", "version"]
    )
    op.create_index("ix_subject_summaries_changed_at", "subject_summaries", ["changed_at"])
    summaries.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_subject_summaries_changed_at", table_name="subject_summaries")
    op.drop_index("ix_subject_summaries_subject_version", table_name="subject_summaries")
    op.drop_table("subject_summaries")
