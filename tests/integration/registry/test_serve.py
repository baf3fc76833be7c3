"""``evreg serve``: a real process, ``--load`` of the example contracts, the help text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from evreg.cli.main import main
from servers import RegistryProcess

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def served(
    database_url: str, tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> tuple[str, Path]:
    """``evreg serve --load contracts/`` running on the test's database: its URL and log."""
    server = registry_process(
        database_url, log_path=tmp_path / "serve.log", load=REPO / "contracts"
    )
    return server.url, server.log_path


def test_serve_loads_the_contracts_folder(served: tuple[str, Path]) -> None:
    url, log = served
    subjects = httpx.get(f"{url}/subjects").json()
    expected = {p.name.split(".", 1)[0] for p in (REPO / "contracts").iterdir()}
    assert expected <= set(subjects), log.read_text()
    assert "orders.placed-value" in subjects  # payload subjects of the AsyncAPI contracts
    orders = httpx.get(f"{url}/subjects/order_placed/versions/latest").json()
    assert orders["schemaType"] == "ASYNCAPI"
    customer = httpx.get(f"{url}/subjects/customer_registered/versions/latest").json()
    assert customer["schemaType"] == "JSON"
    assert "no authentication" in log.read_text().lower()


def test_serve_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "evreg serve --port 8081 --load contracts/" in out
    assert "*.yaml" in out


def test_serve_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--load", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_cli_does_not_import_the_registry() -> None:
    code = (
        "import sys, evreg.cli.main; "
        "print(any(m.startswith('evreg.registry') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
