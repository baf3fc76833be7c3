"""Reading contract files: the CLI does the I/O, the core only ever sees text."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

import evreg
from evreg.cli import check_cache
from evreg.cli.locate import line_of
from evreg.contracts import Contract, ContractError, ContractKind, multifile
from evreg.contracts.parse import Syntax, parse_text, syntax_of

SiblingReader = Callable[[str], "str | None"]
"""Reads a file a contract names in a ``$ref`` (relative to it); None when it is absent."""

MAX_SIBLINGS = 100


class InputError(Exception):
    """Bad input the user can fix (a missing file, an unreadable one); exit code 2."""


def read_source(path: Path) -> str:
    check_cache.read(str(path))  # a check reading outside its watched folders is not replayed
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a contract file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


PROJECT_MARKERS = ("evreg.toml",)


def project_root(folder: Path) -> Path:
    """The folder a contract's ``$ref``s may reach: the nearest folder at or above ``folder``
    holding ``evreg.toml``, else the git work tree it is in, else ``folder`` itself."""
    start = Path(os.path.normpath(folder.absolute()))
    for candidate in (start, *start.parents):
        if any((candidate / marker).is_file() for marker in PROJECT_MARKERS):
            return candidate
        if (candidate / ".git").exists():
            return candidate
    return start


def inside(folder: Path, relative: str, root: Path | None = None) -> Path:
    """``folder/relative``, refused when it leaves ``root`` (by default ``folder``'s project
    root: ``project_root``) or is absolute."""
    folder = Path(os.path.normpath(folder.absolute()))
    root = project_root(folder) if root is None else root
    target = Path(os.path.normpath(folder / relative))
    if Path(relative).is_absolute() or (target != root and root not in target.parents):
        raise InputError(
            f"$ref {relative!r} leaves the project {root}: evreg reads only files within the "
            "folder holding evreg.toml, else the git work tree, else the contract's folder"
        )
    return target


def folder_reader(folder: Path) -> SiblingReader:
    """Reads the files a contract in ``folder`` references, from disk, within its project."""
    base = Path(os.path.normpath(folder.absolute()))
    root = project_root(base)

    def read(relative: str) -> str | None:
        target = inside(base, relative, root)
        return read_source(target) if target.is_file() else None

    return read


def siblings(text: str, read: SiblingReader, syntax: Syntax | None = None) -> dict[str, str]:
    """The files ``text`` (of ``syntax``) references, and those they reference, by their path
    relative to the contract's folder (a ``$ref`` in a referenced file is relative to it)."""
    out: dict[str, str] = {}
    pending = [("", text)]
    while pending:
        referrer, source = pending.pop()
        try:
            value = parse_text(source, syntax_of(referrer) if referrer else syntax)
        except ContractError:
            continue  # the loader reports it, with its place
        for name in multifile.file_refs(value):
            path = multifile.relative_to_main(referrer, name)
            if path in out or len(out) >= MAX_SIBLINGS:
                continue
            found = read(path)
            if found is not None:
                out[path] = found
                pending.append((path, found))
    return out


def load_source(
    text: str,
    name: str,
    read_sibling: SiblingReader | None = None,
    *,
    schema_type: str | None = None,
) -> Contract:
    """Load contract text read from ``name``; errors name the file (and line).

    With ``read_sibling``, files the contract names in ``$ref``s (``common.json#/$defs/X``,
    ``../common/messages.yaml#/Light``) are read. An AsyncAPI document gets them embedded
    (``evreg.contracts.multifile``): what every command reads and ``push`` registers. A JSON
    Schema gets them as the loader's ``references``. The loader itself never touches the disk
    or the network. The file's suffix says its syntax: a ``.json`` file is strict JSON,
    ``.yaml``/``.yml`` YAML, anything else is sniffed (``evreg.contracts.parse``). An ``.avsc``
    file (or ``schema_type="AVRO"``: a registry's AVRO subject) is an Avro schema, strict
    JSON."""
    avro = schema_type == "AVRO" or name.lower().endswith(".avsc")
    syntax = "json" if avro else syntax_of(name)
    if avro:
        try:
            kind = ContractKind.AVRO
            return evreg.load_contract(text, name=name, syntax=syntax, kind=kind)
        except ContractError as exc:
            raise placed(exc, name, text) from None
    files = siblings(text, read_sibling, syntax) if read_sibling is not None else {}
    try:
        if not files:
            return evreg.load_contract(text, name=name, syntax=syntax)
        document = parse_text(text, syntax)
        if isinstance(document, dict) and "asyncapi" in document:
            parsed = {path: _parsed(path, source, name) for path, source in files.items()}
            main = multifile.relative_to_main("", posixpath.basename(name.replace("\\", "/")))
            return evreg.load_contract(multifile.embed(document, parsed, main), name=name)
        paths = {ref: multifile.relative_to_main("", ref) for ref in multifile.file_refs(document)}
        written = {ref: files[path] for ref, path in paths.items() if path in files}
        references = {**files, **written}
        return evreg.load_contract(text, name=name, references=references, syntax=syntax)
    except ContractError as exc:
        raise placed(exc, name, text, files) from None


def _parsed(path: str, source: str, name: str) -> Any:
    try:
        return parse_text(source, syntax_of(path))
    except ContractError as exc:
        folder = posixpath.dirname(name.replace("\\", "/"))
        raise exc.with_source(posixpath.normpath(posixpath.join(folder, path))) from None


def placed(
    error: ContractError, name: str, text: str, files: dict[str, str] | None = None
) -> ContractError:
    """``error`` (and the others it carries) with the file name, and the line of its pointer
    when the loader named a place in the document but not its line. A place in an embedded
    file (``#/x-evreg-files/../common/m.yaml/...``) is named in that file."""
    folder = posixpath.dirname(name.replace("\\", "/"))

    def one(e: ContractError) -> ContractError:
        if e.source not in (None, name):
            return e  # about another file (a reference), named there already
        source, at, source_text = name, e.pointer, text
        found = multifile.bundled_place(at) if at is not None else None
        if found is not None and files is not None and found[0] in files:
            key, at = found
            source = posixpath.normpath(posixpath.join(folder, key))
            source_text = files[key]
        line = e.line
        if line is None and at is not None:
            line = line_of(source_text, at)
        return ContractError(e.message, source=source, line=line, column=e.column, pointer=at)

    every = sorted((one(e) for e in (error, *error.others)), key=lambda e: e.line or 0)
    return every[0].with_others(every[1:])
