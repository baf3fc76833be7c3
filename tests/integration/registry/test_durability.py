"""An acknowledged write survives kill -9 of the server (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .conftest import Server


def test_acknowledged_write_survives_sigkill(database_url: str, tmp_path: Path) -> None:
    schema = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}})
    server = Server(database_url, tmp_path).start()
    try:
        r = httpx.post(
            f"{server.url}/subjects/durable-value/versions",
            json={"schema": schema, "schemaType": "JSON"},
            timeout=30,
        )
        assert r.status_code == 200
        schema_id = r.json()["id"]
        r = httpx.put(f"{server.url}/config/durable-value", json={"compatibility": "FULL"})
        assert r.status_code == 200
        server.kill()  # right after the acknowledgement: no graceful shutdown
    finally:
        server.stop()
    again = Server(database_url, tmp_path).start()
    try:
        latest = httpx.get(f"{again.url}/subjects/durable-value/versions/latest").json()
        assert (latest["id"], latest["version"]) == (schema_id, 1)
        config = httpx.get(f"{again.url}/config/durable-value").json()
        assert config["compatibilityLevel"] == "FULL"
    finally:
        again.stop()
