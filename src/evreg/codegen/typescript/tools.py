"""Running json-schema-to-typescript (a Node.js library) from Python.

The TypeScript types of a generated package come from json-schema-to-typescript, the generator
the TypeScript world maintains for JSON Schema, instead of a Python copy of it. It runs in Node.js
(which a TypeScript package needs anyway), at the versions pinned by ``tools/package-lock.json``
(json-schema-to-typescript and its prettier), so the same contracts give the same bytes on every
machine:

- ``node`` and ``npm`` must be on ``PATH``; when they are not, generation stops with an error
  saying so (nothing is written);
- on first use evreg runs ``npm ci --ignore-scripts`` on that lockfile (packages from the npm
  registry only, integrity-checked, no install scripts) into its cache,
  ``$XDG_CACHE_HOME/evreg`` (else ``~/.cache/evreg``; ``EVREG_TS_TOOLS`` names another folder),
  one folder per lockfile, so an evreg upgrade that changes the pins installs beside the old one;
  a lock file serialises concurrent first runs;
- ``tools/json2ts.mjs`` is evreg's driver: the schema on stdin, the declarations on stdout, with
  every option fixed there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evreg.codegen.errors import CodegenError

TOOLS = Path(__file__).resolve().parent / "tools"
_FILES = ("package.json", "package-lock.json", "json2ts.mjs")
_MARKER = ".evreg-ready"
_TIMEOUT = 600


def _digest() -> str:
    h = hashlib.sha256()
    for name in _FILES:
        h.update(name.encode() + b"\0" + (TOOLS / name).read_bytes() + b"\0")
    return h.hexdigest()[:16]


def pinned() -> dict[str, str]:
    """The versions the lockfile pins, of the packages whose output shows in generated code."""
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock.get("packages", {})
    return {
        name: packages[f"node_modules/{name}"]["version"]
        for name in ("json-schema-to-typescript", "prettier")
    }


def options() -> tuple[str, ...]:
    """What generated TypeScript depends on besides the contracts: the pinned tools."""
    return (*(f"{name}@{version}" for name, version in pinned().items()), f"tools:{_digest()}")


def _cache_root() -> Path:
    chosen = os.environ.get("EVREG_TS_TOOLS")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evreg"


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CodegenError(
            f"--lang typescript needs Node.js: `{name}` is not on PATH. Install Node.js 20 or "
            "later (with npm); evreg runs json-schema-to-typescript in it to write the types"
        )
    return found


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no concurrent first runs expected
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(target: Path) -> None:
    npm = _executable("npm")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name in _FILES:
            shutil.copyfile(TOOLS / name, staging / name)
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=_TIMEOUT
            )
        except subprocess.TimeoutExpired as exc:
            raise CodegenError(
                f"installing json-schema-to-typescript timed out after {_TIMEOUT} s "
                f"(`npm ci` in {staging})"
            ) from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-2000:]
            raise CodegenError(
                "installing json-schema-to-typescript for --lang typescript failed "
                f"(`npm ci` from evreg's lockfile, into {target}):\n{tail}"
            )
        (staging / _MARKER).write_text(_digest() + "\n", encoding="utf-8")
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure() -> Path:
    """The folder holding the pinned tools, installed on first use."""
    root = _cache_root()
    target = root / f"typescript-tools-{_digest()}"
    if (target / _MARKER).is_file():
        return target
    _executable("node")
    with _locked(root / ".typescript-tools.lock"):
        if not (target / _MARKER).is_file():
            shutil.rmtree(target, ignore_errors=True)
            _install(target)
    return target


def json2ts(schema: dict[str, Any], name: str) -> str:
    """json-schema-to-typescript's declarations for ``schema`` (its root named ``name``)."""
    node = _executable("node")
    folder = ensure()
    request = json.dumps({"schema": schema, "name": name}, ensure_ascii=False)
    try:
        done = subprocess.run(
            [node, str(folder / "json2ts.mjs")],
            input=request.encode("utf-8"),
            capture_output=True,
            cwd=folder,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CodegenError(f"json-schema-to-typescript timed out after {_TIMEOUT} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise CodegenError(f"json-schema-to-typescript failed: {tail}")
    return done.stdout.decode("utf-8")
