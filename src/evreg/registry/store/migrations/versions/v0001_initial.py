"""Initial registry schema: schemas, references, subject versions, config, modes, tokens, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "schemas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schema_type", sa.String(length=16), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("content_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("fingerprint", "schema_type", name="uq_schemas_fingerprint_type"),
    )
    op.create_table(
        "schema_references",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schema_id", sa.Integer(), sa.ForeignKey("schemas.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("schema_id", "name", name="uq_schema_references_name"),
    )
    op.create_index("ix_schema_references_target", "schema_references", ["subject", "version"])
    op.create_table(
        "subject_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.Integer(), sa.ForeignKey("schemas.id"), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("subject", "version", name="uq_subject_versions_subject_version"),
    )
    op.create_index("ix_subject_versions_schema_id", "subject_versions", ["schema_id"])
    op.create_table(
        "config",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("compatibility_level", sa.String(length=32), nullable=True),
        sa.Column("compatibility_policy", sa.String(length=16), nullable=True),
        _ts("updated_at"),
    )
    op.create_table(
        "modes",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        _ts("updated_at"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ts("at"),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("schema_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_tokens")
    op.drop_table("modes")
    op.drop_table("config")
    op.drop_index("ix_subject_versions_schema_id", table_name="subject_versions")
    op.drop_table("subject_versions")
    op.drop_index("ix_schema_references_target", table_name="schema_references")
    op.drop_table("schema_references")
    op.drop_table("schemas")
