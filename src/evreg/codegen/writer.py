"""The one module of ``evreg.codegen`` that touches the disk.

``write_package`` writes the files of a plan under an output folder. A file whose content is
already there is left alone (its modification time too), so build tools see no change; each
file that changes is written to a temporary file beside it and renamed over it, so a reader
never sees half a file. Nothing outside the package folder is written, nothing is deleted.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evreg.codegen.errors import CodegenError
from evreg.codegen.output import GeneratedPackage

MANIFEST = ".evreg-generate"  # the plan's input key: lets a caller skip an unchanged plan


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    changed: bool


def _target(root: Path, relative: str) -> Path:
    parts = relative.split("/")
    if any(p in ("", ".", "..") for p in parts) or relative.startswith("/"):
        raise CodegenError(f"refusing to write outside the output folder: {relative!r}")
    return root.joinpath(*parts)


def _write(path: Path, content: bytes) -> bool:
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def read_key(out_dir: Path, package: str) -> str | None:
    """The input key recorded by the last ``write_package`` of ``package``, if any."""
    try:
        return (out_dir / package / MANIFEST).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_package(plan: GeneratedPackage, out_dir: Path) -> list[Written]:
    """Write ``plan`` under ``out_dir``; returns each file and whether it changed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CodegenError(f"{out_dir}: exists and is not a directory")
    written = []
    for item in plan.files:
        path = _target(out_dir, item.path)
        written.append(Written(path, _write(path, item.content.encode("utf-8"))))
    manifest = _target(out_dir, f"{plan.name}/{MANIFEST}")
    _write(manifest, (plan.key + "\n").encode("utf-8"))
    return written
