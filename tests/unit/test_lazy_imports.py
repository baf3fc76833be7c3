"""The CLI's start-up stays light: a structural check of what each entry point imports (read
from ``python -X importtime``), never a timing. The figures are in docs/performance.md
(``bench/bench_cli_startup.py``)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import evreg

SRC = Path(evreg.__file__).resolve().parent

# what start-up must not pay for: the engine and its libraries, the HTTP client, the renderer
ENGINE = {
    "jsonschema",
    "referencing",
    "yaml",
    "evreg.contracts.loader",
    "evreg.contracts.compat.check",
    "evreg.contracts.compat.witness.finder",
}
HEAVY = ENGINE | {"httpx", "rich", "jinja2", "pydantic", "evreg.codegen", "evreg.registry"}


def imported(*args: str, cwd: Path | None = None) -> set[str]:
    """Every module a fresh ``python -X importtime ARGS`` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert lines, f"no -X importtime output: {done.stderr[-2000:]}"
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def test_import_evreg_cli_main_loads_neither_typer_nor_the_engine() -> None:
    modules = imported("-c", "import evreg.cli.main")
    assert "evreg.cli.main" in modules  # the probe saw the import itself
    assert not modules & (HEAVY | {"typer"}), sorted(modules & (HEAVY | {"typer"}))


def test_version_is_answered_without_typer() -> None:
    modules = imported("-m", "evreg.cli.main", "--version")
    assert not modules & (HEAVY | {"typer"}), sorted(modules & (HEAVY | {"typer"}))


def test_import_evreg_loads_no_engine() -> None:
    modules = imported("-c", "import evreg; evreg.__version__")
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_the_app_imports_no_command_module() -> None:
    modules = imported("-c", "import evreg.cli.app")
    assert "typer" in modules
    commands = {m for m in modules if m.startswith("evreg.cli.") and m.endswith(("_cmd", "_cmds"))}
    assert not commands, sorted(commands)
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_compat_loads_the_engine_but_not_the_client_or_codegen(tmp_path: Path) -> None:
    contract = tmp_path / "a.json"
    contract.write_text('{"type": "object"}')
    modules = imported("-m", "evreg.cli.main", "compat", str(contract), str(contract))
    assert "evreg.contracts.compat.check" in modules  # the probe ran the command
    unwanted = {"httpx", "jinja2", "evreg.codegen", "evreg.registry", "evreg.cli.generate_cmd"}
    assert not modules & unwanted, sorted(modules & unwanted)


def test_report_types_come_without_the_engine() -> None:
    """The light modules of the core stay importable alone: the packages above them are lazy."""
    modules = imported("-c", "from evreg.contracts.compat import Level, Report, RULES")
    assert not modules & ENGINE, sorted(modules & ENGINE)


def _lazy_packages() -> list[Path]:
    return sorted(p for p in SRC.rglob("__init__.py") if "lazy_attributes(" in p.read_text())


@pytest.mark.parametrize("init", _lazy_packages(), ids=lambda p: str(p.parent.relative_to(SRC)))
def test_lazy_names_match_their_type_checking_imports(init: Path) -> None:
    """Each lazy package's table names the module each ``TYPE_CHECKING`` import comes from, and
    every name resolves to that very object."""
    tree = ast.parse(init.read_text())
    typed: dict[str, str] = {}
    table: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module is not None
                typed.update({alias.name: stmt.module for alias in stmt.names})
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_attributes":
            table = ast.literal_eval(node.args[1])
    assert table == typed
    package = importlib.import_module(".".join(init.parent.relative_to(SRC.parent).parts))
    for name, origin in table.items():
        assert getattr(package, name) is getattr(importlib.import_module(origin), name)
    exported = {n for n in package.__all__ if not n.startswith("__")}
    assert exported == set(table)
