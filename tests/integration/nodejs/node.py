"""Driving Node.js from the tests: the repository's npm workspace (``js/``), generated
TypeScript packages, ``tsc`` and ``node``.

One npm install serves every test: ``workspace()`` runs ``npm ci`` in ``js/`` (from the committed
lockfile) when ``js/node_modules`` is missing or older than the lockfile, builds
``@evreg/runtime`` when its sources are newer than its build (one install and one build for all
pytest-xdist workers, under a file lock), and each test folder of generated packages gets a
``node_modules`` symlink to it, so a generated package resolves ``@evreg/runtime``,
``typescript`` and ``fast-check`` there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from evreg.cli.main import main

REPO = Path(__file__).resolve().parents[3]
JS = REPO / "js"
NODE_MODULES = JS / "node_modules"
TSC = NODE_MODULES / ".bin" / "tsc"


def _missing(reason: str) -> None:
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; EVREG_REQUIRE_SERVICES=1 makes this a failure")
    pytest.skip(reason)


def run(
    command: Sequence[str | Path], cwd: Path, timeout: float = 600, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def check(done: subprocess.CompletedProcess[str], what: str) -> str:
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-6000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def workspace() -> Path:
    """``js/node_modules``, installed from the lockfile and with ``@evreg/runtime`` built."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            _missing(f"{tool} is not on PATH: the TypeScript tests need Node.js 20 and npm")
    with _locked(JS / ".test-install.lock"):
        installed = NODE_MODULES / ".package-lock.json"
        lock = JS / "package-lock.json"
        if not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
            check(run(["npm", "ci", "--no-audit", "--no-fund"], JS), "npm ci in js/")
        if not _built():
            check(run([TSC, "-p", "runtime"], JS), "building @evreg/runtime")
    return NODE_MODULES


def _built() -> bool:
    """Whether ``runtime/dist`` is newer than every source of ``@evreg/runtime``: with several
    test workers (pytest-xdist), the first builds it and the others, waiting on the lock, use
    that build instead of rewriting files another worker's tests are reading."""
    runtime = JS / "runtime"
    built = [p.stat().st_mtime for p in (runtime / "dist").rglob("*") if p.is_file()]
    sources = [runtime / "tsconfig.json", runtime / "package.json", *(runtime / "src").rglob("*")]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    return bool(built) and min(built) >= newest


def link_workspace(folder: Path) -> Path:
    """``folder``, with a ``node_modules`` symlink to the workspace's (where packages go)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return folder


def generate(folder: Path, contracts: Sequence[Path], package: str) -> Path:
    """``evreg generate --lang typescript`` into ``folder``; the package's path."""
    args = ["generate", "--lang", "typescript", *map(str, contracts), "-o", str(folder)]
    assert main([*args, "--package", package]) == 0
    return folder / package


def tsc(*args: str | Path, cwd: Path) -> str:
    return check(run([TSC, *args], cwd), f"tsc {' '.join(map(str, args))}")


def node(
    *args: str | Path, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> str:
    return check(run(["node", *args], cwd, timeout=timeout, env=env), f"node {args[0]}")


_HEX64 = re.compile(r"([0-9a-f]{64})")


def _renaming(template: Path, package: Path, old: str, new: str) -> dict[str, str] | None:
    """How ``package``'s sources follow from ``template``'s: ``old`` written ``new`` and each
    64-digit hex digest (the contract's fingerprint) replaced by another, consistently; None
    when they differ in anything else (or have other files)."""
    files = sorted(p.relative_to(template) for p in template.rglob("*") if _source(template, p))
    if files != sorted(p.relative_to(package) for p in package.rglob("*") if _source(package, p)):
        return None
    renames = {old: new}
    for name in files:
        mine = _HEX64.split((template / name).read_text(encoding="utf-8").replace(old, new))
        theirs = _HEX64.split((package / name).read_text(encoding="utf-8"))
        if len(mine) != len(theirs) or mine[0::2] != theirs[0::2]:
            return None
        for a, b in zip(mine[1::2], theirs[1::2], strict=True):
            if renames.setdefault(a, b) != b:
                return None
    return renames


def _source(root: Path, path: Path) -> bool:
    return path.is_file() and path.relative_to(root).parts[0] != "dist"


def _renamed(text: str, renames: dict[str, str]) -> str:
    for a, b in renames.items():
        text = text.replace(a, b)
    return text


def build_like(template: Path, old: str, package: Path, new: str) -> bool:
    """Give ``package`` the compiled ``dist`` of ``template`` with ``old`` written ``new`` when
    their sources differ only so (``_renaming``): text in string literals and comments, which
    ``tsc`` emits as written, so the result is the bytes ``tsc`` would write. False (nothing
    written) when they differ otherwise: then compile ``package``."""
    renames = _renaming(template, package, old, new)
    if renames is None:
        return False
    for path in sorted((template / "dist").rglob("*")):
        if path.is_file():
            target = package / path.relative_to(template)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_renamed(path.read_text(encoding="utf-8"), renames), "utf-8")
    return True


def same_build(first: Path, first_name: str, second: Path, second_name: str) -> bool:
    """Whether two compiled packages' ``dist`` are ``build_like`` each other (the check that
    renaming gives what ``tsc`` writes, on two packages both compiled)."""
    renames = _renaming(first, second, first_name, second_name)
    if renames is None:
        return False
    ours = sorted(p.relative_to(first) for p in (first / "dist").rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(second) for p in (second / "dist").rglob("*") if p.is_file())
    return ours == theirs and all(
        _renamed((first / p).read_text(encoding="utf-8"), renames)
        == (second / p).read_text(encoding="utf-8")
        for p in ours
    )
