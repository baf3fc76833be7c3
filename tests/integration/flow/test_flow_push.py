"""``evreg push`` of a change a registered consumer cannot read, end to end: the real ``evreg``
executable against ``evreg serve`` on SQLite. Orders v2 drops ``total``, which
payments requires. Under consumerChecks ``warn`` (the default) the push registers it, names
payments with the witness and says so on stderr, exit 0; under ``block`` the registry refuses
it, exit 1, nothing registered (docs/flow.md).

The witness is checked by jsonschema, not evreg: orders v2's payload schema accepts it and
payments' rejects it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from test_cli_helpers import run

from servers import RegistryProcess

FIXTURES = Path(__file__).parents[2] / "fixtures" / "flow"
PRODUCER = "orders.no-total.asyncapi.yaml"  # subject "orders" (the file name's first part)


def _schema_at(document: dict[str, Any], pointer: str) -> jsonschema.Draft202012Validator:
    """The schema at ``pointer`` in an AsyncAPI document, its local $refs resolving."""
    return jsonschema.Draft202012Validator({**document, "$ref": pointer})


@pytest.fixture
def registry(
    tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> Iterator[tuple[str, Path]]:
    database = f"sqlite:///{tmp_path / 'evreg.db'}"
    server = registry_process(database, log_path=tmp_path / "serve.log")
    for subject in ("orders", "payments"):
        text = (FIXTURES / f"{subject}.asyncapi.yaml").read_text()
        response = httpx.post(
            f"{server.url}/subjects/{subject}/versions",
            json={"schema": text, "schemaType": "ASYNCAPI"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
    shutil.copy(FIXTURES / PRODUCER, tmp_path / PRODUCER)
    yield server.url, tmp_path


def _versions(url: str) -> list[int]:
    return list(httpx.get(f"{url}/subjects/orders/versions", timeout=30).json())


def test_push_warns_of_the_consumers_it_breaks(registry: tuple[str, Path]) -> None:
    url, folder = registry
    # a dry run as JSON first: the finding and its witness, checked by jsonschema
    as_json = run("push", PRODUCER, "--registry", url, "--dry-run", "--format", "json", cwd=folder)
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    (result,) = json.loads(as_json.stdout)
    assert result["outcome"] == "compatible"
    assert result["consumers"]["mode"] == "warn"
    (finding,) = result["consumers"]["findings"]
    assert (finding["consumer"], finding["channel"]) == ("Payments service", "orders.placed")
    witness = finding["finding"]["witness"]
    orders = yaml.safe_load((FIXTURES / PRODUCER).read_text())
    payments = yaml.safe_load((FIXTURES / "payments.asyncapi.yaml").read_text())
    assert _schema_at(orders, "#/components/messages/OrderPlaced/payload").is_valid(witness)
    reader = _schema_at(payments, "#/channels/orders.placed/publish/message/payload")
    assert not reader.is_valid(witness)
    assert as_json.stderr.startswith(f"warning: {PRODUCER}: would register subject orders,")
    assert _versions(url) == [1]

    done = run("push", PRODUCER, "--registry", url, cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"REGISTERED  {PRODUCER}  subject orders  version 2")
    warning = next(line for line in lines if line.startswith("WARNING"))
    assert "registered, but Payments service cannot read it (consumerChecks warn)" in warning
    assert any("Payments service expects `total`" in line for line in lines)
    assert any(line.strip().startswith("witness: Orders service may send") for line in lines)
    assert done.stderr == (
        f"warning: {PRODUCER}: registered subject orders version 2, which Payments service "
        "cannot read (1 finding; see docs/flow.md, `evreg can-i-deploy`)\n"
    )
    assert _versions(url) == [1, 2]


def test_push_is_refused_when_consumer_checks_block(registry: tuple[str, Path]) -> None:
    url, folder = registry
    put = httpx.put(
        f"{url}/api/config/consumer-checks/orders", json={"consumerChecks": "block"}, timeout=30
    )
    assert put.status_code == 200, put.text
    dry = run("push", PRODUCER, "--registry", url, "--dry-run", cwd=folder)
    assert dry.returncode == 1, dry.stdout + dry.stderr
    done = run("push", PRODUCER, "--registry", url, cwd=folder)
    assert done.returncode == 1, done.stdout + done.stderr
    for output in (dry.stdout, done.stdout):
        first = output.splitlines()[0]
        assert first == (
            f"REFUSED     {PRODUCER}  subject orders: it breaks Payments service "
            "(consumerChecks block)"
        )
        assert "BLOCKED  Payments service expects `total`" in output
        assert "witness: Orders service may send" in output
    assert done.stderr == ""
    assert _versions(url) == [1]
