"""Reading contract files: the CLI does the I/O, the core only ever sees text."""

from __future__ import annotations

from pathlib import Path

import evreg
from evreg.contracts import Contract, ContractError


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


def load_source(text: str, name: str) -> Contract:
    """Load contract text read from ``name``; errors name the file."""
    try:
        return evreg.load_contract(text, name=name)
    except ContractError as exc:
        raise exc if exc.source else exc.with_source(name) from None
