"""The CLI runs without the server extras: with fastapi, sqlmodel, uvicorn, ... unimportable,
every command but ``serve`` still loads and works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BLOCK = (
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "uvicorn",
    "alembic",
    "psycopg",
    "orjson",
    "prometheus_client",
)

PROGRAM = """
import sys
for name in {block!r}:
    sys.modules[name] = None  # import fails as if the package were not installed
from evreg.cli.main import main
code = main(sys.argv[1:])
leaked = sorted(m for m in sys.modules if m.startswith("evreg.registry"))
if leaked:
    print("imported:", leaked, file=sys.stderr)
    code = 99
sys.exit(code)
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(block=BLOCK), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_check_against_a_folder_without_server_extras(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    (old / "c.json").write_text(json.dumps(schema))
    schema["required"] = ["a"]
    (new / "c.json").write_text(json.dumps(schema))
    done = run("check", str(new), "--against", str(old), "--format", "json")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["files"][0]["status"] == "incompatible"


def test_registry_commands_load_without_server_extras() -> None:
    done = run("subjects", "--registry", "http://127.0.0.1:9")
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("error: registry http://127.0.0.1:9 unreachable")


def test_serve_says_what_is_missing() -> None:
    done = run("serve", "--port", "9")
    assert done.returncode == 2
    assert "pip install 'evreg[server]'" in done.stderr
