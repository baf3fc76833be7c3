"""Tokens found valid are accepted from memory until the database may have changed (the same
watch as schemas by id): a revocation is seen at once by the process that made it and within
milliseconds by the others. Real SQLite files and a real PostgreSQL; two services on one
database stand for two registry processes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from evreg.registry import errors
from evreg.registry.app import create_app
from evreg.registry.auth import Tokens
from evreg.registry.service import RegistryService
from evreg.registry.settings import Settings

from .conftest import until

SECRET = "evreg_token-memory-tests-0123456789abcdefghij"


@pytest.fixture
def two(two_services: tuple[RegistryService, RegistryService]) -> tuple[Tokens, Tokens]:
    return Tokens(two_services[0]), Tokens(two_services[1])


def _refused(tokens: Tokens, secret: str) -> bool:
    if tokens.remembered(secret) is not None:
        return False
    try:
        tokens.authenticate(secret)
    except errors.Unauthorized:
        return True
    return False


def test_a_revocation_in_another_process_is_seen(two: tuple[Tokens, Tokens]) -> None:
    admin, reader = two
    admin.create("ci", "write", actor="test", secret=SECRET)
    assert reader.remembered(SECRET) is None  # never checked: ask the database
    assert reader.authenticate(SECRET).name == "token:ci"
    assert reader.remembered(SECRET) is not None  # now from memory
    [info] = [t for t in admin.list() if t.name == "ci"]
    admin.revoke(info.id, actor="test")
    assert _refused(admin, SECRET)  # the process that revoked: at once
    # the other: once SQLite's data_version is read again (1 ms) or the NOTIFY arrives
    assert until(lambda: _refused(reader, SECRET))


def test_unknown_tokens_are_never_remembered(two: tuple[Tokens, Tokens]) -> None:
    _, reader = two
    with pytest.raises(errors.Unauthorized):
        reader.authenticate("evreg_never-created-0123456789abcdef0123")
    assert reader.remembered("evreg_never-created-0123456789abcdef0123") is None


def test_the_middleware_asks_the_database_once_per_change(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, auth="required", bootstrap_token=SECRET))
    tokens: Tokens = app.state.tokens
    asked: list[str] = []
    real = tokens.authenticate

    def counted(token: str) -> Any:
        asked.append(token)
        return real(token)

    tokens.authenticate = counted  # type: ignore[method-assign]
    admin = {"Authorization": f"Bearer {SECRET}"}
    with TestClient(app) as client:
        made = client.post("/api/tokens", json={"name": "kafka", "role": "read"}, headers=admin)
        reader = {"Authorization": f"Bearer {made.json()['token']}"}
        asked.clear()
        for _ in range(5):
            assert client.get("/schemas/types", headers=reader).status_code == 200
        assert len(asked) <= 1  # SQLite: once after the token's own commit; PostgreSQL: none
        kafka = next(
            t for t in client.get("/api/tokens", headers=admin).json() if t["name"] == "kafka"
        )
        assert client.delete(f"/api/tokens/{kafka['id']}", headers=admin).status_code == 200
        r = client.get("/schemas/types", headers=reader)
        assert (r.status_code, r.json()["error_code"]) == (401, 40101)  # at once, same process


def test_an_admin_token_created_in_another_process_is_seen(two: tuple[Tokens, Tokens]) -> None:
    maker, other = two
    assert other.admin_known() is None  # never asked: ask the database
    assert other.admin_exists() is False
    assert other.admin_known() is False  # now from memory (anonymous writes let through)
    maker.create("boss", "admin", actor="test", secret=SECRET)
    assert maker.admin_known() is not False  # the process that created it: at once
    # the other: once SQLite's data_version is read again (1 ms) or the NOTIFY arrives
    assert until(lambda: other.admin_known() is None)
    assert other.admin_exists() is True
    assert other.admin_known() is True
    [info] = [t for t in maker.list() if t.name == "boss"]
    maker.revoke(info.id, actor="test")
    assert until(lambda: other.admin_known() is None)
    assert other.admin_exists() is False


def test_anonymous_writes_stop_once_an_admin_token_exists(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, auth="auto"))
    tokens: Tokens = app.state.tokens
    asked: list[bool] = []
    real = tokens.admin_exists

    def counted() -> bool:
        asked.append(True)
        return real()

    tokens.admin_exists = counted  # type: ignore[method-assign]
    body = {"schema": '{"type": "string"}', "schemaType": "JSON"}
    with TestClient(app) as client:
        # the change watch starts with the app (PostgreSQL: its LISTEN connection); until it is
        # up nothing is remembered, so count from then
        assert until(lambda: app.state.service.changes.token() is not None)
        asked.clear()
        for _ in range(5):  # anonymous writes while no admin token exists
            r = client.post("/subjects/s/versions", json={"schema": 1})
            assert r.status_code == 422, r.text
        assert len(asked) <= 1  # from memory after the first
        tokens.create("boss", "admin", actor="test", secret=SECRET)
        r = client.post("/subjects/s/versions", json=body)
        assert (r.status_code, r.json()["error_code"]) == (401, 40101)  # at once, same process
        admin = {"Authorization": f"Bearer {SECRET}"}
        r = client.post("/subjects/s/versions", json=body, headers=admin)
        assert r.status_code == 200, r.text
