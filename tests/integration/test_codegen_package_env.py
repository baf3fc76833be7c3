"""A generated Python package declares what its own tests and type checks need: built with pip
from its own pyproject.toml, installed into a fresh venv with exactly what it declares (its
dependencies and its ``test`` extra, resolved transitively), ``mypy --strict`` and its contract
tests pass there. Without ``types-jsonschema`` (what it used to lack) mypy fails: the check bites.

Cost: the wheel is built by pip (hatchling in an isolated build environment) and the fresh venv
gets no download: each declared distribution (and what it requires) is linked in, file by file
from its RECORD, from this suite's venv, where the test fails if one is missing or of a version
the declaration refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from envs import closure, link
from evreg.cli.main import main
from inner_pytest import outcome, without_pytest_settings

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "orders_events"


def _fresh_venv(root: Path, wheel: Path, requirements: list[str]) -> Path:
    venv.EnvBuilder(with_pip=False).create(root)
    site = next((root / "lib").glob("python3*/site-packages"))
    link(closure(requirements), site)
    with zipfile.ZipFile(wheel) as archive:  # installing a pure wheel is unpacking it
        archive.extractall(site)
    return root / "bin" / "python"


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = without_pytest_settings(os.environ)
    env = {k: v for k, v in env.items() if not k.startswith(("PYTHON", "EVREG_"))}
    return subprocess.run(
        [str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )


def _mypy(python: Path, cache: Path, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(python, "-m", "mypy", "--strict", "--cache-dir", str(cache), "-p", PACKAGE, cwd=cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    """The package's wheel, its dependencies and its ``test`` extra, as its pyproject says."""
    root = tmp_path_factory.mktemp("package-env")
    (root / "mypy-cache").mkdir()  # shared by both tests' mypy runs: pydantic is read once
    contract = REPO / "contracts" / "order_placed.yaml"
    assert main(["generate", str(contract), "-o", str(root), "--package", PACKAGE]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(root / PACKAGE)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = root.glob("orders_events-*.whl")
    project = tomllib.loads((root / PACKAGE / "pyproject.toml").read_text())["project"]
    return wheel, project["dependencies"], project["optional-dependencies"]["test"]


def test_declared_test_extra_is_enough_for_mypy_strict_and_the_tests(
    built: tuple[Path, list[str], list[str]], tmp_path: Path
) -> None:
    wheel, dependencies, test_extra = built
    python = _fresh_venv(tmp_path / "venv", wheel, dependencies + test_extra)
    site = python.parents[1] / "lib"
    assert not any(site.glob("python3*/site-packages/datamodel_code_generator"))  # not declared

    typed = _mypy(python, wheel.parent / "mypy-cache", cwd=tmp_path)
    assert typed.returncode == 0, typed.stdout + typed.stderr
    tests = _run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--pyargs",
        f"{PACKAGE}.tests",
        cwd=tmp_path,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert outcome(tests.stdout).get("passed", 0) > 0, tests.stdout


def test_without_the_stubs_mypy_strict_fails(
    built: tuple[Path, list[str], list[str]], tmp_path: Path
) -> None:
    wheel, dependencies, test_extra = built
    assert "types-jsonschema" in test_extra
    lacking = [r for r in test_extra if Requirement(r).name != "types-jsonschema"]
    python = _fresh_venv(tmp_path / "venv", wheel, dependencies + lacking)
    typed = _mypy(python, wheel.parent / "mypy-cache", cwd=tmp_path)
    assert typed.returncode == 1
    assert 'Library stubs not installed for "jsonschema"' in typed.stdout
