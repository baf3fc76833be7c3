"""Generated TypeScript packages against a real registry (``evreg serve`` on SQLite):
``--from-registry`` puts the registry's schema ids in the producer, and the generated contract
test checks the local contract against the registry's latest (EVREG_URL), as in Python
(tests/integration/test_codegen_registry.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evreg.cli.main import main
from servers import running_registry

from . import node

FIXTURES = node.REPO / "tests" / "fixtures" / "codegen"
REGISTRY_TESTS = "the contract matches the registry"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry holding orders.asyncapi.yaml as subject ``orders``."""
    root = tmp_path_factory.mktemp("registry")
    load = root / "contracts"
    load.mkdir()
    (load / "orders.asyncapi.yaml").write_bytes((FIXTURES / "orders.asyncapi.yaml").read_bytes())
    with running_registry(f"sqlite:///{root / 'evreg.db'}", root / "serve.log", load=load) as s:
        yield s.url


def registry_tests(folder: Path, contract: Path, package: str, url: str) -> str:
    """Generate, build, and run the package's registry tests with EVREG_URL=url (TAP)."""
    node.generate(folder, [contract], package)
    node.tsc("-p", package, cwd=folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVREG_")}
    env["EVREG_URL"] = url
    command = ["node", "--test", "--test-reporter=tap", f"--test-name-pattern={REGISTRY_TESTS}"]
    done = node.run([*command, f"{package}/dist/tests/contract.test.js"], folder, env=env)
    return done.stdout + f"\nexit {done.returncode}\n"


def verdict(out: str, subject: str) -> str:
    """``ok``, ``not ok`` or ``skip: <reason>`` of the registry test of ``subject``."""
    pattern = rf"^\s*((?:not )?ok) \d+ - {re.escape(subject)}(?: # SKIP (.*))?$"
    ((status, skipped),) = re.findall(pattern, out, re.M)
    return f"skip: {skipped}" if skipped else status


def edited(folder: Path, old: str, new: str) -> Path:
    text = (FIXTURES / "orders.asyncapi.yaml").read_text()
    assert old in text
    (folder / "edited").mkdir()
    path = folder / "edited" / "orders.asyncapi.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_generate_from_the_registry(registry: str, ts_folder: Path) -> None:
    args = ["generate", "--lang", "typescript", "--from-registry", "orders"]
    assert main([*args, "--registry", registry, "-o", str(ts_folder), "--package", "shop"]) == 0
    latest = httpx.get(f"{registry}/subjects/orders/versions/latest").json()
    payload = httpx.get(f"{registry}/subjects/orders.placed-value/versions/latest").json()
    producer = (ts_folder / "shop" / "src" / "producer.ts").read_text()
    label = f"registry subject orders version {latest['version']} (schema id {latest['id']})"
    assert f"//   source: {label}" in producer
    assert f"schemaId: {payload['id']}," in producer
    assert (
        f'"schemaId": {latest["id"]},' in (ts_folder / "shop" / "src" / "contract.ts").read_text()
    )


def test_the_registered_contract_passes(registry: str, ts_folder: Path) -> None:
    out = registry_tests(ts_folder, FIXTURES / "orders.asyncapi.yaml", "same", registry)
    assert "exit 0" in out and verdict(out, "orders") == "ok", out


def test_a_compatible_change_passes(registry: str, ts_folder: Path) -> None:
    contract = edited(ts_folder, "version: 1.4.0", "version: 1.4.1")
    out = registry_tests(ts_folder, contract, "compatible", registry)
    assert "exit 0" in out and verdict(out, "orders") == "ok", out


def test_a_breaking_change_fails(registry: str, ts_folder: Path) -> None:
    contract = edited(
        ts_folder,
        "enum: [customer_request, payment_failed, out_of_stock, fraud_suspected]",
        "enum: [customer_request, payment_failed]",
    )
    out = registry_tests(ts_folder, contract, "breaking", registry)
    assert "exit 1" in out and verdict(out, "orders") == "not ok", out
    assert "not compatible with the registry's latest version" in out


def test_an_unregistered_subject_is_skipped(registry: str, ts_folder: Path) -> None:
    out = registry_tests(ts_folder, FIXTURES / "payments.asyncapi.yaml", "pay", registry)
    assert "exit 0" in out
    assert verdict(out, "payments") == "skip: subject payments is not in the registry yet", out
