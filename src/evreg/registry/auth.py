"""API tokens and roles.

A token is ``evreg_`` + 43 url-safe characters; only its sha256 is stored. Roles are ordered:
``read`` < ``write`` < ``admin``. Which role a request needs depends on its method and path
(:func:`required_role`): reads (including lookups, compatibility tests and evreg's checks, which
are POSTs) need ``read``; registering needs ``write``; config and mode (global or per subject,
set or deleted), the consumerChecks mode, every delete (soft or permanent) and token management
need ``admin``.

Modes (``EVREG_AUTH``): ``auto`` (the default) lets anyone write while no admin token exists, so a
fresh local registry just works, and requires tokens for writes once one does; ``required`` always
requires them. Reads are open unless ``EVREG_AUTH_READS=token``. A presented token that is
unknown or revoked is always refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from typing import TypeVar

from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.store.id_watch import Token

ROLES = ("read", "write", "admin")
T = TypeVar("T")

TOKEN_PREFIX = "evreg_"

_TOKENS_LOCK = "evreg-internal:tokens"  # lock key (a subject of this name only shares the lock)
_SUBJECT_LOOKUP = re.compile(r"^/subjects/[^/]+/?$")
_CONFIG_OR_MODE = re.compile(r"^/(config|mode)(/|$)")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def role_allows(have: str, need: str) -> bool:
    return ROLES.index(have) >= ROLES.index(need)


def required_role(method: str, path: str) -> str:
    """The least role a request needs: ``read`` for reads (lookups and compatibility tests
    included), ``write`` for registering, ``admin`` for config, mode, deletes and tokens."""
    method = method.upper()
    if path.startswith("/api/tokens"):
        return "admin"
    if method not in ("POST", "PUT", "DELETE"):
        return "read"  # GET, HEAD, OPTIONS; and methods no route takes (405 from the router)
    if method == "POST" and (
        path.startswith("/compatibility/")
        or path.startswith("/api/")
        or _SUBJECT_LOOKUP.match(path)
    ):
        return "read"
    if method == "DELETE":  # soft or permanent, a subject, a version, a config or a mode
        return "admin"
    if _CONFIG_OR_MODE.match(path):  # the global or a subject's compatibility and mode
        return "admin"
    if path.startswith("/api/config/consumer-checks"):  # like the compatibility config: admin
        return "admin"
    return "write"  # registering


def credentials(authorization: str | None) -> str | None:
    """The token in ``Bearer <token>`` or ``Basic base64(user:token)``; None when absent."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise errors.Unauthorized("Malformed Basic credentials") from None
        _, _, password = decoded.partition(":")
        return password or None
    raise errors.Unauthorized("Unsupported Authorization scheme (use Bearer or Basic)")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class Principal:
    name: str  # what the audit log records as the actor
    role: str | None  # None: anonymous


class Tokens:
    """Token use cases over the registry's store.

    A token found valid is remembered (by its hash) with the
    :class:`~evreg.registry.store.id_watch.Changes` token under which it was read, and accepted
    from memory while that is unchanged: a revocation commits a change (and, on PostgreSQL,
    notifies the other processes), so a revoked token is refused at once by the process that
    revoked it and within milliseconds by the others, as a permanently deleted schema id is.
    Unknown tokens are never remembered. Whether an admin token exists (which decides, in
    ``auto`` mode, whether anonymous writes are let through) is remembered the same way: creating
    an admin token commits a change as revoking one does."""

    SIZE = 1024  # tokens remembered (a registry has few)

    def __init__(self, service: RegistryService) -> None:
        self.service = service
        self._known: dict[str, tuple[Principal, Token]] = {}
        self._admin: tuple[bool, Token] | None = None  # admin_exists() and the token it read
        self._lock = threading.Lock()

    def create(self, name: str, role: str, *, actor: str, secret: str | None = None) -> str:
        if role not in ROLES:
            raise errors.MalformedRequest(
                f"Invalid role {role!r}: choose from {', '.join(ROLES)}", status=422
            )
        if not name.strip():
            raise errors.MalformedRequest("A token needs a name", status=422)
        token = secret or new_token()
        with self.service.writing(_TOKENS_LOCK) as work:
            if work.find_token(hash_token(token)) is None:
                work.add_token(name, hash_token(token), role)
                if role == "admin":  # anonymous writes stop, in every process (admin_known)
                    self.service.changed_on_commit(work)
                work.audit(
                    actor=actor,
                    action="token.create",
                    after={"name": name, "role": role},
                )
        return token

    def ensure(self, name: str, role: str, secret: str) -> None:
        """Store ``secret`` as a token unless it already is one (the bootstrap token)."""
        self.create(name, role, actor="evreg startup", secret=secret)

    def list(self) -> list[TokenInfo]:
        with self.service.reading() as work:
            rows = work.tokens()
            return [
                TokenInfo(
                    id=int(r.id or 0),
                    name=r.name,
                    role=r.role,
                    created_at=r.created_at.isoformat(),
                    revoked=r.revoked_at is not None,
                )
                for r in rows
            ]

    def revoke(self, token_id: int, *, actor: str) -> TokenInfo:
        with self.service.writing() as work:
            row, revoked = work.revoke_token(token_id)
            if row is None:
                raise errors.TokenNotFound(f"Token {token_id} not found")
            if revoked:
                self.service.changed_on_commit(work)  # no process accepts it from memory
                work.audit(
                    actor=actor,
                    action="token.revoke",
                    after={"name": row.name, "role": row.role},
                )
            return TokenInfo(int(row.id or 0), row.name, row.role, row.created_at.isoformat(), True)

    def remembered(self, token: str) -> Principal | None:
        """The token's principal if it was found valid and nothing has changed since (no
        database, no thread: the auth middleware asks this first); else None."""
        with self._lock:
            known = self._known.get(hash_token(token))
        return self._fresh(known)

    def authenticate(self, token: str) -> Principal:
        digest = hash_token(token)
        before = self.service.changes.token()  # read before the query
        with self.service.reading() as work:
            row = work.find_token(digest)
            if row is None:
                raise errors.Unauthorized("Unknown or revoked token")
            principal = Principal(f"token:{row.name}", row.role)
        if before is not None:
            with self._lock:
                if len(self._known) >= self.SIZE:
                    self._known.clear()
                self._known[digest] = (principal, before)
        return principal

    def admin_known(self) -> bool | None:
        """Whether an admin token exists, if :meth:`admin_exists` asked the database since the
        last change (no database, no thread: the auth middleware asks this first); else None."""
        return self._fresh(self._admin)

    def _fresh(self, known: tuple[T, Token] | None) -> T | None:
        """The value of ``known`` (a value and the change token read before the query that found
        it) if nothing has changed since; else None (read the database)."""
        now = self.service.changes.token()
        return known[0] if now is not None and known is not None and known[1] == now else None

    def admin_exists(self) -> bool:
        before = self.service.changes.token()  # read before the query
        with self.service.reading() as work:
            exists = work.count_tokens("admin") > 0
        if before is not None:
            self._admin = (exists, before)
        return exists
