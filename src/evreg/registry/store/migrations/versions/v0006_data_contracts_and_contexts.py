"""Confluent fidelity: data contracts, schema contexts, the dialect of a schema without $schema.

``schemas`` gets ``metadata_json`` and ``rule_set_json`` (a version's data contract),
``context`` and ``context_id`` (schema ids are per context: the row id in the default context
``"."``, ``context_id`` in another one), and ``default_draft`` (the dialect a JSON Schema
without ``$schema`` was read as: 2020-12 for every schema stored before this revision, which
is how they were read). ``config`` gets ``extra_json`` (compatibilityGroup, default and
override metadata and rule sets, ...).

Before this revision a context-qualified subject (``:.staging:orders``) was stored as a literal
name sharing the default context's ids. Its versions are moved into their context here: each
schema they use gets a row of that context, with an id allocated in it, and the subject
summaries are rebuilt. Its ids change (they were the default context's).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from evreg.registry.store import summaries
from evreg.registry.store.identity import LEGACY_DRAFT, identity_fingerprint
from evreg.registry.store.queries import Reference

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_INDEX = "uq_schemas_context_id"


def upgrade() -> None:
    op.add_column("schemas", sa.Column("metadata_json", sa.Text(), nullable=True))
    op.add_column("schemas", sa.Column("rule_set_json", sa.Text(), nullable=True))
    op.add_column("schemas", sa.Column("context", sa.Text(), nullable=False, server_default="."))
    op.add_column("schemas", sa.Column("context_id", sa.Integer(), nullable=True))
    op.add_column("schemas", sa.Column("default_draft", sa.Text(), nullable=True))
    op.create_index(_INDEX, "schemas", ["context", "context_id"], unique=True)
    op.add_column("config", sa.Column("extra_json", sa.Text(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text("UPDATE schemas SET default_draft = :draft WHERE schema_type = 'JSON'"),
        {"draft": LEGACY_DRAFT},
    )
    if _move_qualified_subjects(bind):
        summaries.rebuild(bind)


def _context_of(subject: str) -> str | None:
    if not subject.startswith(":."):
        return None
    end = subject.find(":", 1)
    context = subject[1:] if end < 0 else subject[1:end]
    return None if context == "." else context


def _move_qualified_subjects(bind: sa.Connection) -> bool:
    """Give each context-qualified subject's versions schema rows of their context."""
    rows = bind.execute(
        sa.text("SELECT id, subject, schema_id FROM subject_versions WHERE subject LIKE ':.%'")
    ).all()
    moved: dict[tuple[str, int], int] = {}  # (context, old row id) -> new row id
    for version_id, subject, schema_id in rows:
        context = _context_of(str(subject))
        if context is None:  # ":.:name": the API now reads it as the default context's "name"
            continue
        key = (context, int(schema_id))
        if key not in moved:
            moved[key] = _copy_into(bind, context, int(schema_id))
        bind.execute(
            sa.text("UPDATE subject_versions SET schema_id = :new WHERE id = :id"),
            {"new": moved[key], "id": version_id},
        )
    return bool(rows)


def _copy_into(bind: sa.Connection, context: str, schema_id: int) -> int:
    row: Any = (
        bind.execute(
            sa.text(
                "SELECT schema_type, canonical, content_fingerprint, created_at, default_draft "
                "FROM schemas WHERE id = :id"
            ),
            {"id": schema_id},
        )
        .mappings()
        .one()
    )
    references = [
        Reference(str(r.name), str(r.subject), int(r.version))
        for r in bind.execute(
            sa.text(
                "SELECT name, subject, version FROM schema_references "
                "WHERE schema_id = :id ORDER BY position"
            ),
            {"id": schema_id},
        )
    ]
    fingerprint = identity_fingerprint(
        row["schema_type"], row["canonical"], references, context=context
    )
    found = bind.execute(
        sa.text("SELECT id FROM schemas WHERE fingerprint = :fp AND schema_type = :t"),
        {"fp": fingerprint, "t": row["schema_type"]},
    ).scalar()
    if found is not None:
        return int(found)
    next_id = bind.execute(
        sa.text("SELECT coalesce(max(context_id), 0) + 1 FROM schemas WHERE context = :c"),
        {"c": context},
    ).scalar_one()
    new_id = bind.execute(
        sa.text(
            "INSERT INTO schemas (schema_type, canonical, content_fingerprint, fingerprint, "
            "created_at, context, context_id, default_draft) VALUES (:t, :canonical, :cfp, :fp, "
            ":at, :c, :cid, :draft) RETURNING id"
        ),
        {
            "t": row["schema_type"],
            "canonical": row["canonical"],
            "cfp": row["content_fingerprint"],
            "fp": fingerprint,
            "at": row["created_at"],
            "c": context,
            "cid": int(next_id),
            "draft": row["default_draft"],
        },
    ).scalar_one()
    for position, ref in enumerate(references):
        bind.execute(
            sa.text(
                "INSERT INTO schema_references (schema_id, position, name, subject, version) "
                "VALUES (:id, :p, :n, :s, :v)"
            ),
            {"id": new_id, "p": position, "n": ref.name, "s": ref.subject, "v": ref.version},
        )
    return int(new_id)


def downgrade() -> None:
    op.drop_column("config", "extra_json")
    op.drop_index(_INDEX, table_name="schemas")
    for column in ("default_draft", "context_id", "context", "rule_set_json", "metadata_json"):
        op.drop_column("schemas", column)
