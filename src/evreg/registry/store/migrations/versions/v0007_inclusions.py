"""Proven inclusions between stored schemas (``inclusions``), by identity fingerprints.

What the compatibility engine's semantic guard proved once (every event of one schema is
accepted by another) is kept, so that a BACKWARD_TRANSITIVE check after a restart chains the
inclusions proven when each version was registered instead of proving one per earlier version
again (``evreg.contracts.compat.guard.known``). A cache: dropping its rows changes no answer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "inclusions",
        sa.Column("writer_fingerprint", sa.String(length=64), primary_key=True),
        sa.Column("reader_fingerprint", sa.String(length=64), primary_key=True),
        sa.Column("prover", sa.String(length=32), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("inclusions")
