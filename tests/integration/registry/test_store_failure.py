"""When the database goes away under a running registry: /ready says 503, routes say 503/50001
(the database does not answer: retry later)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .conftest import Server


def test_database_gone(fresh_postgres: str, postgres_url: str, tmp_path: Path) -> None:
    name = make_url(fresh_postgres).database
    server = Server(fresh_postgres, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.get("/ready").json() == {"status": "ready"}
            admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                # back, empty and closed to connections: the fixture still drops it afterwards
                conn.execute(text(f'CREATE DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            admin.dispose()
            r = http.get("/ready")
            assert (r.status_code, r.json()["error_code"]) == (503, 50001)
            r = http.get("/subjects")
            assert (r.status_code, r.json()["error_code"]) == (503, 50001)
            assert "backend data store" in r.json()["message"]
            assert http.get("/health").status_code == 200
    finally:
        server.stop()
