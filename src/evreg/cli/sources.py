"""Reading contract files: the CLI does the I/O, the core only ever sees text."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import evreg
from evreg.contracts import Contract, ContractError
from evreg.contracts.parse import parse_text

SiblingReader = Callable[[str], "str | None"]
"""Reads a file a contract names in a ``$ref`` (relative to it); None when it is absent."""

MAX_SIBLINGS = 100


class InputError(Exception):
    """Bad input the user can fix (a missing file, an unreadable one); exit code 2."""


def read_source(path: Path) -> str:
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


def inside(folder: Path, relative: str) -> Path:
    """``folder/relative``, refused when it leaves ``folder`` (``../``, absolute paths)."""
    target = Path(os.path.normpath(folder / relative))
    if Path(relative).is_absolute() or (target != folder and folder not in target.parents):
        raise InputError(
            f"$ref {relative!r} leaves the contract's folder {folder}: "
            "evreg reads only files beside or below the contract"
        )
    return target


def folder_reader(folder: Path) -> SiblingReader:
    """Reads sibling files of a contract from disk."""
    root = Path(os.path.normpath(folder.absolute()))

    def read(relative: str) -> str | None:
        target = inside(root, relative)
        return read_source(target) if target.is_file() else None

    return read


def _file_refs(value: Any) -> list[str]:
    """The files named by ``$ref``s in a document (``common.json#/$defs/Money`` -> common.json)."""
    found: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = ref.split("#", 1)[0]
                if target and ":" not in target and target not in found:
                    found.append(target)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def siblings(text: str, read: SiblingReader) -> dict[str, str]:
    """The sibling files ``text`` references (and those they reference), by their $ref name."""
    out: dict[str, str] = {}
    pending = [text]
    while pending:
        try:
            value = parse_text(pending.pop())
        except ContractError:
            continue  # the loader reports it, with its place
        for name in _file_refs(value):
            if name in out or len(out) >= MAX_SIBLINGS:
                continue
            found = read(name)
            if found is not None:
                out[name] = found
                pending.append(found)
    return out


def load_source(text: str, name: str, read_sibling: SiblingReader | None = None) -> Contract:
    """Load contract text read from ``name``; errors name the file.

    With ``read_sibling``, files the contract names in ``$ref``s (``common.json#/$defs/X``) are
    read and handed to the loader, which itself never touches the disk or the network."""
    try:
        references = siblings(text, read_sibling) if read_sibling is not None else None
        return evreg.load_contract(text, name=name, references=references)
    except ContractError as exc:
        raise exc if exc.source else exc.with_source(name) from None
