"""Generated packages as a user gets them: ruff, ``mypy --strict`` and their own contract tests.

Packages come from the shared contracts (tests/fixtures/codegen, copied from ../shared) one by
one and together, and from every contract in the repository's contracts/ folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evreg.cli.main import main
from inner_pytest import outcome, without_pytest_settings
from typecheck import mypy

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "codegen"
BIN = Path(sys.executable).parent
SHARED = [FIXTURES / "orders.asyncapi.yaml", FIXTURES / "payments.asyncapi.yaml"]
REPO_CONTRACTS = sorted(p for p in (REPO / "contracts").iterdir() if p.suffix in (".yaml", ".json"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("generated")
    runs: list[tuple[list[Path], str]] = [
        (SHARED, "shop"),
        ([SHARED[0]], "orders_service"),
        ([SHARED[1]], "payments_service"),
    ]
    runs += [([path], "repo_" + path.name.split(".")[0]) for path in REPO_CONTRACTS]
    for contracts, package in runs:
        args = ["generate", *map(str, contracts), "-o", str(root), "--package", package]
        assert main(args) == 0
    return root, [package for _, package in runs]


def tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean(generated: tuple[Path, list[str]]) -> None:
    root, _ = generated
    config = str(REPO / "pyproject.toml")
    # a generated package lives in the user's project, where evreg is an installed library
    # (this repository's config would take evreg for first-party, from its src folder)
    third_party = "lint.isort.known-third-party = ['evreg']"
    for command in (
        [str(BIN / "ruff"), "check", "--config", config, "--config", third_party, "."],
        [str(BIN / "ruff"), "check", "--isolated", "--line-length", "100", "."],  # defaults
        [str(BIN / "ruff"), "format", "--check", "--config", config, "."],
    ):
        done = tool(*command, cwd=root)
        assert done.returncode == 0, f"{' '.join(command[1:])}:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("plugin", [False, True], ids=["plain", "pydantic-plugin"])
def test_mypy_strict_is_clean(
    generated: tuple[Path, list[str]],
    plugin: bool,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root, packages = generated
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n" + ("plugins = pydantic.mypy\n" if plugin else ""))
    args = ["--config-file", str(config)]
    for package in packages:
        args += ["-p", package]
    done = mypy(tmp_path_factory, "strict-pydantic" if plugin else "strict", *args, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_generated_contract_tests_pass(generated: tuple[Path, list[str]]) -> None:
    root, packages = generated
    env = without_pytest_settings({k: v for k, v in os.environ.items() if k != "EVREG_URL"})
    env["EVREG_CONTRACT_EXAMPLES"] = "15"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [f"{package}/tests" for package in packages]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    counts = outcome(done.stdout)
    assert counts.get("passed", 0) > 0 and "failed" not in counts, counts
