"""``evreg serve``: a real process, ``--load`` of the example contracts, the help text."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evreg.cli.main import main

from .conftest import free_port

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVREG_")}
    command = [
        sys.executable,
        "-m",
        "evreg.cli.main",
        "serve",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--load",
        str(REPO / "contracts"),
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail(f"evreg serve did not start:\n{log.read_text()}")
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=10)


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
