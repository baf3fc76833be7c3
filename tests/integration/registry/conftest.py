"""Fixtures for the registry tests: one database per test, on SQLite and on PostgreSQL.

``database_url`` is parametrised: ``sqlite`` is a fresh file in ``tmp_path``; ``postgresql``
is a fresh database ``evreg_test_<uuid>`` created on the server of ``EVREG_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and dropped afterwards. The
PostgreSQL case skips when the server is down, or fails with ``EVREG_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from evreg.registry.service import RegistryService
from evreg.registry.store import Store, id_watch
from servers import RegistryProcess
from servers import free_port as free_port  # tests/adversarial/conftest.py takes it from here

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database; its SQLAlchemy URL."""
    name = f"evreg_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres_url).set(database=name)
        yield url.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evreg.db'}"
    return str(request.getfixturevalue("fresh_postgres"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated :class:`Store` on ``database_url``, closed after the test."""
    store = Store(database_url)
    yield store
    store.close()


# ---------------------------------------------------------------- real servers

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Server(RegistryProcess):
    """A registry in a child process (uvicorn + the app factory), on a free port; the extra
    ``env`` on top of this process's environment (tests/servers.py)."""

    def __init__(self, database_url: str, log_dir: Path, **env: str) -> None:
        log_path = log_dir / f"server-{uuid.uuid4().hex[:8]}.log"
        super().__init__(database_url, log_path, env={**os.environ, **env}, via="uvicorn")


def _postgres_or_skip() -> str:
    """Like the ``postgres_url`` fixture, usable from module-scoped fixtures."""
    url = os.environ.get("EVREG_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=2):
            return url
    except OSError as exc:
        reason = f"postgresql is not reachable at {host}:{port} ({exc})"
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(reason)


@contextmanager
def new_database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'evreg-{uuid.uuid4().hex[:8]}.db'}"
        return
    server = _postgres_or_skip()
    name = f"evreg_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per test module and backend."""
    with new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="module")
def server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running registry on the module's database."""
    srv = Server(module_database_url, tmp_path_factory.mktemp("logs")).start()
    yield srv
    srv.stop()


@pytest.fixture
def subject() -> str:
    """A subject name no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}-value"


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds (polled every 5 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def two_services(database_url: str) -> Iterator[tuple[RegistryService, RegistryService]]:
    """Two services on one database, as two registry processes, their change watches up."""
    stores = [Store(database_url), Store(database_url, migrate=False)]
    services = [RegistryService(store) for store in stores]
    for service in services:
        service.changes.start()
        assert id_watch.wait_until_up(service.changes.watch, 10)
    yield services[0], services[1]
    for service in services:
        service.changes.close()
        service.schema_ids.close()
        service.store.close()
