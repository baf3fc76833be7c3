"""Shared fixtures: the repository root, ../shared, and services on this machine.

Tests that need PostgreSQL, NATS or RabbitMQ take the ``postgres_url`` / ``nats_url`` /
``amqp_url`` fixtures (or call ``require_service``): the service is skipped with a reason when it
is down, and fails the test instead when ``EVREG_REQUIRE_SERVICES=1`` (as CI sets it).

``registry_process`` starts registries in child processes (``tests/servers.py``) and stops them
at the end of the test.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from servers import RegistryProcess

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PORTS = {"postgresql": 5432, "nats": 4222, "amqp": 5672, "redis": 6379}


def require_service(name: str, url: str) -> str:
    """Return ``url`` if its host:port accepts TCP connections; skip (or fail in CI) if not."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    host = parts.hostname or "127.0.0.1"
    port = parts.port or DEFAULT_PORTS.get(scheme)
    if port is None:
        pytest.fail(f"{name}: no port in {url!r} and no default for scheme {scheme!r}")
    try:
        with socket.create_connection((host, port), timeout=2):
            return url
    except OSError as exc:
        reason = f"{name} is not reachable at {host}:{port} ({exc.strerror or exc})"
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(f"{reason}; start it, or point the test at another URL")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the clone (read-only test data); skipped where it is absent."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"{path} is absent: these tests read the shared test data beside the clone")
    return path


@pytest.fixture(name="require_service")
def require_service_fixture() -> Callable[[str, str], str]:
    return require_service


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get(
        "EVREG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    return require_service("postgresql", url)


@pytest.fixture
def nats_url() -> str:
    return require_service("nats", os.environ.get("EVREG_TEST_NATS_URL", "nats://127.0.0.1:4222"))


@pytest.fixture
def amqp_url() -> str:
    url = os.environ.get("EVREG_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    return require_service("rabbitmq", url)


@pytest.fixture
def registry_process(tmp_path: Path) -> Iterator[Callable[..., RegistryProcess]]:
    """Start a registry in a child process: ``registry_process(database_url, **options)`` takes
    ``RegistryProcess``'s options (``log_path`` defaults to a new file in ``tmp_path``) and
    returns it running (``GET /health`` answered 200). Each one is stopped after the test."""
    started: list[RegistryProcess] = []

    def start(database_url: str, log_path: Path | None = None, **options: Any) -> RegistryProcess:
        path = log_path or tmp_path / f"registry-{len(started) + 1}.log"
        server = RegistryProcess(database_url, path, **options)
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()
