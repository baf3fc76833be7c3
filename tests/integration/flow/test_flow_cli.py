"""``evreg can-i-deploy`` and ``evreg check`` with consumer-aware findings, end to end: the real
``evreg`` executable against ``evreg serve`` on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_cli_helpers import Registry, annotations, run

FIXTURES = Path(__file__).parents[2] / "fixtures" / "flow"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    folder = tmp_path_factory.mktemp("flow-cli")
    for name in (
        "orders.asyncapi.yaml",
        "orders.no-total.asyncapi.yaml",
        "orders.optional-field.asyncapi.yaml",
        "payments.asyncapi.yaml",
    ):
        shutil.copy(FIXTURES / name, folder / name)
    registry = Registry(f"sqlite:///{folder / 'evreg.db'}", folder).start()
    try:
        for subject in ("orders", "payments"):
            text = (FIXTURES / f"{subject}.asyncapi.yaml").read_text()
            response = httpx.post(
                f"{registry.url}/subjects/{subject}/versions",
                json={"schema": text, "schemaType": "ASYNCAPI"},
                timeout=60,
            )
            assert response.status_code == 200, response.text
        yield registry, folder
    finally:
        registry.stop()


def test_can_i_deploy_no_when_total_is_dropped(server: tuple[Registry, Path]) -> None:
    registry, folder = server
    done = run(
        "can-i-deploy", "orders.no-total.asyncapi.yaml", "--registry", registry.url, cwd=folder
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NO" in done.stdout
    assert "Payments service expects `total`" in done.stdout
    assert "witness:" in done.stdout


def test_can_i_deploy_yes_for_an_optional_field(server: tuple[Registry, Path]) -> None:
    registry, folder = server
    done = run(
        "can-i-deploy",
        "orders.optional-field.asyncapi.yaml",
        "--registry",
        registry.url,
        cwd=folder,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("YES")


def test_check_prints_consumer_findings_and_annotates(server: tuple[Registry, Path]) -> None:
    registry, folder = server
    # warn (the default): printed, not failing
    done = run("check", "orders.no-total.asyncapi.yaml", "--registry", registry.url, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "consumerChecks warn" in done.stdout
    assert "Payments service expects `total`" in done.stdout
    github = run(
        "check",
        "orders.no-total.asyncapi.yaml",
        "--registry",
        registry.url,
        "--format",
        "github",
        cwd=folder,
    )
    found = [a for a in annotations(github.stdout) if "Payments service" in str(a)]
    assert found, github.stdout
    # block: the same check fails
    put = httpx.put(
        f"{registry.url}/api/config/consumer-checks/orders",
        json={"consumerChecks": "block"},
        timeout=30,
    )
    assert put.status_code == 200
    blocked = run("check", "orders.no-total.asyncapi.yaml", "--registry", registry.url, cwd=folder)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "BLOCKED" in blocked.stdout
