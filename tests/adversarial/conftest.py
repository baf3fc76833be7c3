"""Shared helpers of the adversarial suite.

The registry-in-a-subprocess helpers (``Server``, ``free_port``, ``new_database``) are the ones of
``tests/integration/registry/conftest.py``, loaded from that file so both suites start servers the
same way. ``dump`` is a logical dump of every table (SQLite or PostgreSQL): two equal dumps mean
the database is unchanged, row for row and byte for byte in every column.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

_REGISTRY_CONFTEST = Path(__file__).resolve().parent.parent / "integration/registry/conftest.py"
_spec = importlib.util.spec_from_file_location("evreg_registry_test_helpers", _REGISTRY_CONFTEST)
assert _spec is not None and _spec.loader is not None
_helpers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _helpers
_spec.loader.exec_module(_helpers)

Server = _helpers.Server
free_port = _helpers.free_port
new_database = _helpers.new_database
until = _helpers.until

CORPUS = Path(__file__).resolve().parent / "corpus"

# Bounded in CI; a long run is `EVREG_FUZZ_EXAMPLES=5000 pytest tests/adversarial/test_fuzz.py`.
FUZZ_EXAMPLES = int(os.environ.get("EVREG_FUZZ_EXAMPLES", "150"))
# kill -9 rounds per backend (the issue asks for 20).
KILL_ROUNDS = int(os.environ.get("EVREG_KILL_ROUNDS", "20"))


def dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: a byte-for-byte comparable picture of the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            out: dict[str, list[tuple[Any, ...]]] = {}
            for table in tables:
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                out[table] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url
