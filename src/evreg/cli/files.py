"""Contract files on disk: expanding paths and folders, loading, naming their subjects."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evreg.cli.config import SubjectStrategy
from evreg.cli.sources import InputError, folder_reader, load_source, read_source
from evreg.contracts import Contract

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class ContractFile:
    path: Path  # as found on disk
    rel: Path  # relative to the folder it was found in (its name when given as a file)

    @property
    def display(self) -> str:
        """The path to show and to annotate: relative to the working directory when inside it."""
        return display_path(self.path)


def display_path(path: Path) -> str:
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def expand(paths: Iterable[Path]) -> list[ContractFile]:
    """Each file as given; each folder's ``*.yaml|*.yml|*.json`` files (recursively, sorted,
    hidden folders skipped). A path that does not exist is an input error."""
    found: list[ContractFile] = []
    seen: set[Path] = set()
    for root in paths:
        if root.is_dir():
            for folder, dirs, names in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if name.endswith(SUFFIXES) and not name.startswith("."):
                        path = Path(folder) / name
                        if path.resolve() not in seen:
                            seen.add(path.resolve())
                            found.append(ContractFile(path, path.relative_to(root)))
        elif root.exists():
            if root.resolve() not in seen:
                seen.add(root.resolve())
                found.append(ContractFile(root, Path(root.name)))
        else:
            raise InputError(f"{root}: no such file or directory")
    return found


@dataclass(frozen=True, slots=True)
class LoadedContract:
    file: ContractFile
    text: str
    contract: Contract

    @property
    def schema_type(self) -> str:
        return self.contract.kind.value  # "JSON" or "ASYNCAPI", the registry's schemaType

    @property
    def schema(self) -> str:
        """What is sent to the registry: the canonical JSON text (YAML is not JSON)."""
        return self.contract.canonical


def load(file: ContractFile) -> LoadedContract:
    text = read_source(file.path)
    reader = folder_reader(file.path.parent)
    return LoadedContract(file, text, load_source(text, file.display, reader))


def subject_for(loaded: LoadedContract, strategy: SubjectStrategy) -> str:
    """``x-evreg-subject`` in the document, else as the strategy names it."""
    document = loaded.contract.document
    if isinstance(document, dict):
        named = document.get("x-evreg-subject")
        if isinstance(named, str) and named.strip():
            return named.strip()
    base = loaded.file.path.name.split(".", 1)[0]
    if strategy is SubjectStrategy.FILE_VALUE:
        return f"{base}-value"
    if strategy is SubjectStrategy.TITLE and loaded.contract.title:
        return loaded.contract.title.strip() or base
    return base
