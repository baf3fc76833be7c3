"""``evreg serve``: a real process, ``--load`` of the example contracts, the help text."""

from __future__ import annotations

import subprocess
import sys
import time
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


def _revision(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_serve_upgrades_an_older_database_on_start(
    database_url: str, registry_process: Callable[..., RegistryProcess]
) -> None:
    """A database left at an older revision (0002, before subject summaries) with a subject in
    it: `evreg serve` migrates it to the head revision before it answers, and serves the data."""
    from alembic import command
    from alembic.config import Config

    from evreg.registry.service import RegistryService
    from evreg.registry.store import Store
    from evreg.registry.store.engine import MIGRATIONS
    from evreg.registry.values import SchemaInput

    store = Store(database_url)
    head = _revision(database_url)
    RegistryService(store).register(
        "old-value", SchemaInput(schema='{"type": "object"}', schema_type="JSON")
    )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    store.engine.dispose()
    assert _revision(database_url) == "0002" != head

    server = registry_process(database_url)
    assert _revision(database_url) == head
    assert httpx.get(f"{server.url}/subjects").json() == ["old-value"]
    assert httpx.get(f"{server.url}/subjects/old-value/versions/latest").json()["version"] == 1


def test_serve_defaults_to_evreg_db_in_the_working_folder(tmp_path: Path) -> None:
    """No --database-url, no EVREG_DATABASE_URL: SQLite at ./evreg.db, in WAL mode."""
    import sqlite3

    from servers import evreg_command, free_port, without_evreg_env

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [*evreg_command(), "serve", "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path,
        env=without_evreg_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        r = httpx.post(
            f"{url}/subjects/here-value/versions",
            json={"schema": '{"type": "string"}', "schemaType": "JSON"},
        )
        assert r.status_code == 200, r.text
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    database = tmp_path / "evreg.db"
    assert database.is_file()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT subject FROM subject_versions").fetchall() == [("here-value",)]


def test_serve_load_reads_json_files_as_strict_json(
    database_url: str, tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> None:
    """A .json file with a trailing comma is refused with its file:line:column (it used to be
    read as YAML and registered); the YAML file beside it with the same text is registered."""
    folder = tmp_path / "contracts"
    folder.mkdir()
    text = '{\n  "type": "object",\n  "properties": {"id": {"type": "string"},}\n}\n'
    (folder / "bad.json").write_text(text)
    (folder / "flow.yaml").write_text(text)
    server = registry_process(database_url, log_path=tmp_path / "serve.log", load=folder)
    subjects = httpx.get(f"{server.url}/subjects").json()
    log = server.log_path.read_text()
    assert subjects == ["flow"], log
    assert f"{folder / 'bad.json'}:3:42: invalid JSON: trailing comma before '}}'" in log
