"""Stored outlines and content verdicts of the BACKWARD_TRANSITIVE check (``outline_entries``,
``outlines``, ``content_verdicts``).

What the compatibility engine compares of each earlier version (its outline: properties and
frame by content) and the verdicts its walk proved about those contents are kept, so that the
first check after a restart reads them instead of loading and outlining every earlier version
(``evreg.contracts.compat.diff.history``). A cache: dropping its rows changes no answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "outline_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("content_key", sa.String(length=64), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sqlite_autoincrement=True,  # (ids never given again: processes remember them)
    )
    op.create_table(
        "outlines",
        sa.Column("fingerprint", sa.String(length=64), primary_key=True),
        sa.Column("maker", sa.String(length=32), primary_key=True),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("frame", sa.String(length=64), nullable=False),
        sa.Column("required", sa.Text(), nullable=False),
        sa.Column("entries", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
    )
    op.create_table(
        "content_verdicts",
        sa.Column("identity", sa.String(length=64), primary_key=True),
        sa.Column("verdict", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("content_verdicts")
    op.drop_table("outlines")
    op.drop_table("outline_entries")
