"""Generated TypeScript packages as a user gets them: ``tsc --noEmit --strict`` with their own
tsconfig, their own contract tests (``node:test``), and the same bytes on every run.

Packages come from every contract in the repository's ``contracts/`` folder and in
``../shared/contracts`` (one package each), from the two shared AsyncAPI documents together,
and from ``tests/fixtures/codegen/hostile.asyncapi.yaml``, whose names, descriptions and values
try to become code.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import evreg
from evreg.codegen import SourceContract, build_plan, subject_for

from . import node

FIXTURES = node.REPO / "tests" / "fixtures" / "codegen"
SHOP = [FIXTURES / "orders.asyncapi.yaml", FIXTURES / "payments.asyncapi.yaml"]
HOSTILE = FIXTURES / "hostile.asyncapi.yaml"  # contract text that tries to become code


def contracts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def package_name(path: Path, prefix: str) -> str:
    return prefix + path.name.split(".schema")[0].split(".asyncapi")[0].split(".yaml")[0].replace(
        "_", "-"
    ).replace(".", "-").removesuffix("-json")


@pytest.fixture(scope="module")
def runs(shared_dir: Path) -> list[tuple[list[Path], str]]:
    out: list[tuple[list[Path], str]] = [(SHOP, "shop"), ([HOSTILE], "hostile")]
    out += [([p], package_name(p, "repo-")) for p in contracts(node.REPO / "contracts")]
    out += [([p], package_name(p, "shared-")) for p in contracts(shared_dir / "contracts")]
    names = [name for _, name in out]
    assert len(names) == len(set(names)), names
    return out


@pytest.fixture(scope="module")
def generated(
    node_modules: Path, tmp_path_factory: pytest.TempPathFactory, runs: list[tuple[list[Path], str]]
) -> tuple[Path, list[str]]:
    root = node.link_workspace(tmp_path_factory.mktemp("generated"))
    for sources, package in runs:
        node.generate(root, sources, package)
    return root, [package for _, package in runs]


@pytest.fixture(scope="module")
def built(generated: tuple[Path, list[str]]) -> tuple[Path, list[str]]:
    """Every package compiled with its own tsconfig (``strict``, ``exactOptionalPropertyTypes``,
    ``noUncheckedIndexedAccess``): ``tsc -b`` builds them all in one process, and fails on any
    type error, as ``tsc --noEmit --strict`` would (docs/codegen.md's quick start runs exactly
    that command on its package)."""
    root, packages = generated
    for package in packages:
        config = json.loads((root / package / "tsconfig.json").read_text())
        assert config["compilerOptions"]["strict"] is True
    node.tsc("-b", *packages, cwd=root)
    return generated


def test_tsc_strict_is_clean(built: tuple[Path, list[str]]) -> None:
    root, packages = built
    for package in packages:
        assert (root / package / "dist" / "src" / "index.js").is_file()
        assert (root / package / "dist" / "src" / "models.d.ts").is_file()


def schema_count(sources: list[Path]) -> int:
    plan = build_plan([cli_source(p) for p in sources])
    return sum(
        (m.payload_schema is not None) + (m.headers_schema is not None) for m in plan.messages
    )


def cli_source(path: Path) -> SourceContract:
    contract = evreg.load_contract(path.read_text(encoding="utf-8"), name=path.name)
    return SourceContract(contract, path.name, subject_for(path.name, contract.document))


def test_the_generated_contract_tests_pass(
    built: tuple[Path, list[str]], runs: list[tuple[list[Path], str]]
) -> None:
    root, packages = built
    files = [f"{package}/dist/tests/contract.test.js" for package in packages]
    env = {k: v for k, v in os.environ.items() if k != "EVREG_URL"}
    env["EVREG_CONTRACT_EXAMPLES"] = "10"
    out = node.node("--test", "--test-reporter=tap", *files, cwd=root, timeout=900, env=env)
    assert "# fail 0" in out and "# cancelled 0" in out, out[-3000:]
    passed = int(out.split("# pass ")[1].split()[0])
    # at least one passing test per schema of every package (its values survive the wire),
    # besides the examples and the producer/consumer round trips
    assert passed >= sum(schema_count(sources) for sources, _ in runs), out[-3000:]


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if "dist" in path.relative_to(folder).parts:
            continue
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def test_generation_is_byte_identical(
    generated: tuple[Path, list[str]], runs: list[tuple[list[Path], str]], tmp_path: Path
) -> None:
    root, _ = generated
    again = tmp_path / "again"
    for sources, package in runs:
        node.generate(again, sources, package)
        assert digest(again / package) == digest(root / package), package
    # and in another process, under another hash seed
    other = tmp_path / "seed"
    command = [sys.executable, "-m", "evreg.cli.main", "generate", "--lang", "typescript"]
    command += [*map(str, SHOP), "-o", str(other), "--package", "shop"]
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
    assert digest(other / "shop") == digest(root / "shop")


def test_hostile_contract_text_stays_inert(built: tuple[Path, list[str]]) -> None:
    """It compiled and its tests ran (above); its text is escaped ASCII in every file, and
    nothing it says ran (no PWNED file anywhere)."""
    root, _ = built
    for path in (root / "hostile").rglob("*"):
        if path.is_file() and "dist" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert text.isascii(), path
    assert "\\u202e" in (root / "hostile" / "src" / "models.ts").read_text()
    assert not list(root.rglob("PWNED"))
