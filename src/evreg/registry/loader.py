"""``evreg serve --load DIR``: push every contract file of a folder at start."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from evreg.contracts import ContractError
from evreg.contracts.parse import parse_text, syntax_of
from evreg.registry import errors
from evreg.registry.service import RegistryService
from evreg.registry.values import SchemaInput

log = logging.getLogger("evreg.registry.load")

PATTERNS = ("*.yaml", "*.yml", "*.json")


@dataclass(frozen=True, slots=True)
class Loaded:
    path: Path
    subject: str
    outcome: str  # "registered vN id M", or the error


def subject_for(path: Path, document: object) -> str:
    """``x-evreg-subject`` in the document, else the file name up to its first dot."""
    if isinstance(document, dict):
        named = document.get("x-evreg-subject")
        if isinstance(named, str) and named.strip():
            return named.strip()
    return path.name.split(".", 1)[0]


def load_directory(service: RegistryService, folder: str | Path, *, actor: str) -> list[Loaded]:
    """Register each contract in ``folder`` (sorted by name); errors are logged, not raised."""
    root = Path(folder)
    if not root.is_dir():
        raise errors.InvalidSchema(f"--load {root}: not a directory")
    paths = sorted({p for pattern in PATTERNS for p in root.glob(pattern) if p.is_file()})
    results: list[Loaded] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:  # a .json file is strict JSON, .yaml/.yml YAML (evreg.contracts.parse)
            document = parse_text(text, syntax_of(path.name))
        except ContractError as exc:
            error = exc.with_source(str(path))
            results.append(Loaded(path, path.stem, f"error: {error}"))
            log.error("load %s", error)
            continue
        subject = subject_for(path, document)
        schema_type = (
            "ASYNCAPI" if isinstance(document, dict) and "asyncapi" in document else "JSON"
        )
        try:
            version = service.register(
                subject, SchemaInput(schema=text, schema_type=schema_type), actor=actor
            )
        except errors.RegistryError as exc:
            results.append(Loaded(path, subject, f"error: {exc.message}"))
            log.error("load %s as subject %s: %s", path, subject, exc.message)
            continue
        outcome = f"registered version {version.version} id {version.id}"
        results.append(Loaded(path, subject, outcome))
        log.info("load %s: subject %s %s", path, subject, outcome)
    return results
