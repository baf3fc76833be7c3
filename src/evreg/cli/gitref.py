"""Reading a file as it was at a git ref (``git show REF:./path``), for ``check --against git:REF``.

Works in a shallow clone as long as the ref was fetched; when it was not, the error says how to
fetch it. A file absent at the ref is a new contract (None).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from evreg.cli.sources import InputError


class GitError(InputError):
    """The comparison itself cannot run (no git, no repository, a ref not fetched): exit 2."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise GitError("--against git:…: git is not installed (or not on PATH)")
    try:
        return subprocess.run(
            [git, "-C", str(cwd), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None


def _fetch_hint(ref: str) -> str:
    if "/" in ref and not ref.startswith("refs/"):
        remote, branch = ref.split("/", 1)
        return f"git fetch --depth=1 {remote} {branch}"
    if ref.startswith("HEAD"):
        return "git fetch --deepen=1 (the clone is too shallow for this ref)"
    return f"git fetch --depth=1 origin {ref}"


@cache
def _toplevel(folder: Path) -> Path:
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise GitError(f"{folder}: not inside a git repository (needed by --against git:…)")
    return Path(done.stdout.decode("utf-8", "replace").strip())


@cache
def _check_ref(toplevel: Path, ref: str) -> None:
    done = _git(toplevel, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise GitError(
            f"git ref {ref!r} is not in this clone (a shallow clone, or a branch never "
            f"fetched?): fetch it first with `{_fetch_hint(ref)}`"
        )


def read_at_ref(path: Path, ref: str) -> str | None:
    """The text of ``path`` at ``ref``; None when the file does not exist there."""
    if not ref:
        raise GitError("--against git:REF needs a ref, e.g. git:origin/main or git:HEAD")
    folder = path.absolute().parent
    _check_ref(_toplevel(folder), ref)
    done = _git(folder, "show", f"{ref}:./{path.name}")
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} at {ref}: not UTF-8 text ({exc.reason})") from None
