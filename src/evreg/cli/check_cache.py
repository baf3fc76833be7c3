"""Replaying ``evreg check`` when nothing it reads has changed (the pre-commit hook's case).

``evreg check --against git:REF`` (or ``--against DIR``) is a pure function of what it reads:
the contract files and their siblings, the files at the ref or in the folder, the settings
files, the environment, the arguments, the working directory and evreg's own code. A pre-commit
hook runs it on every commit, mostly on contracts nobody touched, and loading them (yaml, the
meta-schemas, the engine) is what costs. So a run that needed no registry stores what it printed
and its exit code with a fingerprint of everything it depended on; the next identical run takes
the fingerprint again (hashes of a few small files, one ``git rev-parse``) and, when it is equal,
prints the same output and exits with the same code without importing typer, yaml or the
engine. Anything else runs the command as usual.

What a run depends on, and how each is fingerprinted:

- the arguments, the working directory, the whole environment (minus ``_`` and ``OLDPWD``) and
  the Python: the entry's key;
- evreg's code (every file of the package, by size and mtime) and the installed packages (the
  mtime of each ``site-packages`` folder, which an install or an upgrade changes): the key;
- the contracts: every file (hashed) under each folder ``check`` was given, or under the folder
  of each file it was given. A contract's ``$ref``d files may sit anywhere in its project root
  (``sources.inside``); a file read outside these folders makes the run uncacheable;
- ``--against DIR``: every file under DIR, hashed; ``--against git:REF``: the repository and
  the commit REF names (``git rev-parse``), whose files cannot change;
- the settings: ``evreg.toml`` and ``pyproject.toml`` in the working directory and in every
  folder above it (hashed, or absent).

Never cached: a check against the registry (its answer depends on the registry's state),
``--summary`` (it appends to a file), a run whose standard output is a terminal (rich colours
it), a folder of more than ``MAX_FILES`` files or ``MAX_BYTES`` bytes, a run that ended with an
exception rather than a verdict, and every run when ``EVREG_NO_CACHE`` is set to a non-empty
value. The entries live in ``EVREG_CACHE_DIR``, else ``$XDG_CACHE_HOME/evreg``, else
``~/.cache/evreg`` (folder ``check/``, at most ``MAX_ENTRIES`` files, the oldest removed first).

This module is on the replay path, so it imports only modules the interpreter has already
loaded or builds in: ``marshal`` for the entries (the key holds the Python version), BLAKE2
from ``_blake2`` (``hashlib`` would load OpenSSL), git through ``os.posix_spawnp``
(``subprocess`` alone costs a quarter of the time budget, docs/performance.md).
"""

from __future__ import annotations

import marshal
import os
import sys

try:
    from _blake2 import blake2b  # CPython's built-in module, what hashlib.blake2b is
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, TextIO

    Fingerprint = dict[str, Any]

FORMAT = 1  # bump when the entry's layout or what it fingerprints changes
MAX_ENTRIES = 200
MAX_FILES = 2000  # per watched folder: a larger tree is not worth fingerprinting on each run
MAX_BYTES = 16 * 1024 * 1024
VOLATILE_ENV = ("_", "OLDPWD")
SETTINGS_FILES = ("evreg.toml", "pyproject.toml")


class TooBig(Exception):
    """A watched folder is too large to fingerprint cheaply: the run is not cached."""


def folder() -> str | None:
    """Where the entries live; None when caching is off."""
    if os.environ.get("EVREG_NO_CACHE"):
        return None
    base = os.environ.get("EVREG_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "evreg")
    return os.path.join(base, "check")


def _digest(data: bytes) -> str:
    return blake2b(data, digest_size=32).hexdigest()


def _walk(root: str, skip: tuple[str, ...] = ()) -> Iterator[os.DirEntry[str]]:
    """Every file under ``root`` (hidden ones too, symlinks followed, each real folder once,
    folders named in ``skip`` left out), in a stable order."""
    seen: set[str] = set()
    pending = [root]
    while pending:
        current = pending.pop()
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in skip:
                    pending.append(entry.path)
            elif entry.is_file():
                yield entry


def tree(root: str) -> dict[str, str]:
    """``{relative path: hash}`` of every file under ``root``; TooBig past the bounds."""
    out: dict[str, str] = {}
    size = 0
    for entry in _walk(root):
        size += entry.stat().st_size
        if len(out) >= MAX_FILES or size > MAX_BYTES:
            raise TooBig(root)
        with open(entry.path, "rb") as handle:
            out[os.path.relpath(entry.path, root)] = _digest(handle.read())
    return out


def git(cwd: str, *args: str) -> str | None:
    """``git -C cwd ARGS``'s standard output; None when git is missing or fails."""
    read_end, write_end = os.pipe()
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        pid = os.posix_spawnp(
            "git",
            ["git", "-C", cwd, *args],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ],
        )
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
        os.close(devnull)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return b"".join(chunks).decode("utf-8", "replace")


def _settings_files(cwd: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    current = cwd
    while True:
        for name in SETTINGS_FILES:
            path = os.path.join(current, name)
            try:
                with open(path, "rb") as handle:
                    out[path] = _digest(handle.read())
            except OSError:
                out[path] = None
        parent = os.path.dirname(current)
        if parent == current:
            return out
        current = parent


def _code() -> list[Any]:
    """evreg's files by size and mtime, and the mtime of each site-packages folder."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = []
    for entry in _walk(package, skip=("__pycache__",)):
        stat = entry.stat()
        files.append((entry.path, stat.st_size, stat.st_mtime_ns))
    sites = [
        (path, os.stat(path).st_mtime_ns)
        for path in sys.path
        if path.endswith("site-packages") and os.path.isdir(path)
    ]
    return [files, sites]


def _key(args: list[str]) -> str:
    env = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE_ENV)
    identity = [FORMAT, sys.version, sys.executable, os.getcwd(), args, env, _code()]
    return _digest(repr(identity).encode("utf-8", "surrogatepass"))


class Watch:
    """What one ``check`` run depends on beyond its key: the folders whose files it reads and
    the (folder, ref) pairs it reads from git."""

    def __init__(self, trees: Iterable[str], refs: Iterable[tuple[str, str]]) -> None:
        self.trees = sorted({os.path.abspath(t) for t in trees})
        self.refs = sorted(set(refs))

    def fingerprint(self) -> Fingerprint | None:
        """The current fingerprint; None when it cannot be taken (too big, git failed)."""
        try:
            trees = {root: tree(root) for root in self.trees}
        except (TooBig, OSError):
            return None
        commits = {}
        for cwd, ref in self.refs:
            commit = git(cwd, "rev-parse", "--show-toplevel", f"{ref}^{{commit}}")
            if commit is None:
                return None
            commits[f"{cwd}\0{ref}"] = commit
        return {"trees": trees, "git": commits, "settings": _settings_files(os.getcwd())}

    def covers(self, path: str) -> bool:
        absolute = os.path.abspath(path)
        return any(absolute.startswith(os.path.join(t, "")) for t in self.trees)


def replay(args: list[str]) -> int | None:
    """Print a stored run's output and return its exit code when everything it read is as it
    was; None otherwise (the caller runs the command)."""
    where = folder()
    if where is None or sys.stdout.isatty():
        return None
    try:
        with open(os.path.join(where, _key(args)), "rb") as handle:
            entry = marshal.load(handle)
        if entry["format"] != FORMAT:
            return None
        watch = Watch(entry["trees"], entry["refs"])
        if watch.fingerprint() != entry["fingerprint"]:
            return None
        stdout, stderr, code = entry["stdout"], entry["stderr"], int(entry["code"])
    except (OSError, ValueError, EOFError, KeyError, TypeError):
        return None
    sys.stdout.write(stdout)
    sys.stdout.flush()
    sys.stderr.write(stderr)
    return code


class _Tee:
    """A text stream that also keeps what is written to it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.kept: list[str] = []

    def write(self, text: str) -> int:
        self.kept.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class Recording:
    """One ``check`` run being recorded (``with Recording(args) as record``): its output is
    kept; the command calls :func:`watch` once it knows its inputs, and the caller calls
    ``store(exit code)`` once it has the verdict."""

    def __init__(self, args: list[str], where: str) -> None:
        self.args = args
        self.where = where
        self.watch: Watch | None = None
        self.before: Fingerprint | None = None
        self.cacheable = True
        self.stdout = _Tee(sys.stdout)
        self.stderr = _Tee(sys.stderr)
        self._saved = (sys.stdout, sys.stderr)

    def __enter__(self) -> Recording:
        global _current
        sys.stdout, sys.stderr = self.stdout, self.stderr
        _current = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _current
        _current = None
        sys.stdout, sys.stderr = self._saved

    def store(self, code: int) -> None:
        if not self.cacheable or self.watch is None or self.before is None:
            return
        if self.watch.fingerprint() != self.before:  # something changed while it ran
            return
        entry = {
            "format": FORMAT,
            "trees": self.watch.trees,
            "refs": self.watch.refs,
            "fingerprint": self.before,
            "stdout": "".join(self.stdout.kept),
            "stderr": "".join(self.stderr.kept),
            "code": code,
        }
        try:
            os.makedirs(self.where, exist_ok=True)
            path = os.path.join(self.where, _key(self.args))
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as handle:
                marshal.dump(entry, handle)
            os.replace(temporary, path)
            _prune(self.where)
        except (OSError, ValueError):
            pass  # a cache that cannot be written is no cache, not an error


def _prune(where: str) -> None:
    entries = [e for e in os.scandir(where) if not e.name.endswith(".tmp")]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        try:
            os.remove(old.path)
        except OSError:
            continue


_current: Recording | None = None


def recording(args: list[str]) -> Recording | None:
    """A recording of this ``check`` run, to use as a ``with`` block; None when this run is not
    to be cached (caching off, or standard output is a terminal)."""
    where = folder()
    if where is None or sys.stdout.isatty():
        return None
    return Recording(args, where)


def watch(trees: Iterable[str], refs: Iterable[tuple[str, str]] = ()) -> None:
    """Called by ``check`` once it knows its inputs: the folders whose files it reads, and the
    (folder, ref) pairs it reads from git. Fingerprints them before the check runs."""
    if _current is not None:
        _current.watch = Watch(trees, refs)
        _current.before = _current.watch.fingerprint()


def read(path: str) -> None:
    """Called for each file a check reads: one outside the watched folders makes the run
    uncacheable."""
    if _current is not None and (_current.watch is None or not _current.watch.covers(path)):
        _current.cacheable = False
