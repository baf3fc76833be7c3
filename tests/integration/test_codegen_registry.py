"""Codegen against a real registry (``evreg serve`` on SQLite): ``--from-registry``, and the
generated contract test that checks the local contract against the registry's latest."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evreg.cli.main import main
from inner_pytest import outcome, without_pytest_settings
from servers import running_registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codegen"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry holding orders.asyncapi.yaml as subject ``orders`` (and its payload
    subjects ``orders.placed-value``, ``orders.cancelled-value``)."""
    root = tmp_path_factory.mktemp("registry")
    load = root / "contracts"
    load.mkdir()
    (load / "orders.asyncapi.yaml").write_bytes((FIXTURES / "orders.asyncapi.yaml").read_bytes())
    database = f"sqlite:///{root / 'evreg.db'}"
    with running_registry(database, root / "serve.log", load=load) as server:
        yield server.url


def test_generate_from_the_registry(registry: str, tmp_path: Path) -> None:
    args = ["generate", "--from-registry", "orders", "--registry", registry]
    assert main([*args, "-o", str(tmp_path), "--package", "shop"]) == 0
    latest = httpx.get(f"{registry}/subjects/orders/versions/latest").json()
    payload = httpx.get(f"{registry}/subjects/orders.placed-value/versions/latest").json()
    producer = (tmp_path / "shop" / "producer.py").read_text()
    label = f"registry subject orders version {latest['version']} (schema id {latest['id']})"
    assert f"#   source: {label}" in producer
    assert f"schema_id={payload['id']}," in producer
    contract = (tmp_path / "shop" / "contract.json").read_text()
    assert f'"schemaId": {latest["id"]}' in contract


def test_generate_from_a_missing_subject(registry: str, tmp_path: Path) -> None:
    args = ["generate", "--from-registry", "nope", "--registry", registry, "-o", str(tmp_path)]
    assert main(args) == 2


def run_registry_test(
    package_root: Path, package: str, url: str
) -> subprocess.CompletedProcess[str]:
    env = without_pytest_settings(os.environ)
    env = {k: v for k, v in env.items() if not k.startswith("EVREG_")}
    env["EVREG_URL"] = url
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"]
    command += ["-k", "registry", f"{package}/tests"]
    return subprocess.run(
        command, cwd=package_root, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_contract_test_passes_for_the_registered_contract(
    registry: str, tmp_path: Path
) -> None:
    contract = str(FIXTURES / "orders.asyncapi.yaml")
    assert main(["generate", contract, "-o", str(tmp_path), "--package", "same"]) == 0
    done = run_registry_test(tmp_path, "same", registry)
    assert done.returncode == 0, done.stdout
    assert outcome(done.stdout).get("passed") == 1, done.stdout


def test_the_contract_test_passes_for_a_compatible_change(registry: str, tmp_path: Path) -> None:
    text = (FIXTURES / "orders.asyncapi.yaml").read_text()
    changed = text.replace("version: 1.4.0", "version: 1.4.1")
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "orders.asyncapi.yaml").write_text(changed)
    out = tmp_path / "out"
    assert main(["generate", str(folder / "orders.asyncapi.yaml"), "-o", str(out)]) == 0
    done = run_registry_test(out, "orders_service", registry)
    assert done.returncode == 0, done.stdout
    assert outcome(done.stdout).get("passed") == 1, done.stdout


def test_the_contract_test_fails_for_a_breaking_change(registry: str, tmp_path: Path) -> None:
    text = (FIXTURES / "orders.asyncapi.yaml").read_text()
    breaking = text.replace(
        "enum: [customer_request, payment_failed, out_of_stock, fraud_suspected]",
        "enum: [customer_request, payment_failed]",
    )
    assert breaking != text
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / "orders.asyncapi.yaml").write_text(breaking)
    out = tmp_path / "out"
    assert main(["generate", str(folder / "orders.asyncapi.yaml"), "-o", str(out)]) == 0
    done = run_registry_test(out, "orders_service", registry)
    assert done.returncode == 1, done.stdout
    assert "not compatible with the registry's latest version" in done.stdout


def test_the_contract_test_skips_an_unregistered_subject(registry: str, tmp_path: Path) -> None:
    contract = str(FIXTURES / "payments.asyncapi.yaml")
    assert main(["generate", contract, "-o", str(tmp_path), "--package", "pay"]) == 0
    done = run_registry_test(tmp_path, "pay", registry)
    assert done.returncode == 0, done.stdout
    assert "subject payments is not in the registry yet" in done.stdout
