"""API tokens in the database: only each token's sha256 is stored."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from evreg.registry.store.tables import ApiToken


def add_token(session: Session, name: str, token_sha256: str, role: str) -> ApiToken:
    row = ApiToken(name=name, token_sha256=token_sha256, role=role)
    session.add(row)
    session.flush()
    return row


def find_token(session: Session, token_sha256: str) -> ApiToken | None:
    return session.exec(
        select(ApiToken).where(
            ApiToken.token_sha256 == token_sha256, col(ApiToken.revoked_at).is_(None)
        )
    ).first()


def count_tokens(session: Session, role: str | None = None) -> int:
    statement = select(func.count()).select_from(ApiToken).where(col(ApiToken.revoked_at).is_(None))
    if role is not None:
        statement = statement.where(ApiToken.role == role)
    return int(session.exec(statement).one())
