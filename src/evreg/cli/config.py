"""CLI settings: ``evreg.toml`` or ``[tool.evreg]`` in ``pyproject.toml``, then ``EVREG_*``
environment variables, then command-line flags (each overrides the one before).

The file is looked for in the current directory and its parents; the first ``evreg.toml``, or
``pyproject.toml`` with a ``[tool.evreg]`` table, wins. Relative paths in it (``contracts``) are
relative to the file's folder. The token is never read from a file: only ``EVREG_TOKEN``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from evreg.cli.sources import InputError
from evreg.contracts import Level, Policy

DEFAULT_REGISTRY = "http://127.0.0.1:8081"
CONFIG_FILE = "evreg.toml"
# where `evreg generate` writes with no -o, evreg.toml or EVREG_GENERATE_OUTPUT: what `evreg init`
# writes to evreg.toml, so that a bare `evreg generate` does the same with or without it
DEFAULT_GENERATE_OUTPUT = Path("generated")


class SubjectStrategy(StrEnum):
    """How a contract file's subject is named when it does not say (``x-evreg-subject``)."""

    FILE = "file"  # the file name before its first dot: contracts/order_placed.yaml -> order_placed
    FILE_VALUE = "file-value"  # the same plus "-value" (Kafka's topic-name strategy)
    TITLE = "title"  # the document's title (info.title for AsyncAPI), else the file name


class PayloadSubjectStrategy(StrEnum):
    """How the registry names the payload subjects of a pushed AsyncAPI contract (sent as
    ``?payloadSubjectStrategy=``; unset: the registry's ``EVREG_PAYLOAD_SUBJECT_STRATEGY``)."""

    TOPIC_NAME = "topic-name"  # <channel address>-value (Kafka's TopicNameStrategy)
    RECORD_NAME = "record-name"  # <record name>: payload title, else message name, else key
    TOPIC_RECORD_NAME = "topic-record-name"  # <channel address>-<record name>


@dataclass(frozen=True, slots=True)
class GenerateSettings:
    """``[generate]``: what ``evreg generate`` writes when its flags do not say.

    ``where`` names the origin of each value that was set (``evreg.toml: generate.lang``,
    ``EVREG_GENERATE_LANG``), so that an error about it can say where to fix it.
    """

    lang: str = "python"
    # a path in the file is relative to the file's folder; the default to the current folder
    output: Path = DEFAULT_GENERATE_OUTPUT
    package: str | None = None
    where: Mapping[str, str] = field(default_factory=dict)


GENERATE_KEYS = ("lang", "output", "package")


@dataclass(frozen=True, slots=True)
class Settings:
    registry: str = DEFAULT_REGISTRY
    token: str | None = None
    contracts: Path = Path("contracts")
    subject_strategy: SubjectStrategy = SubjectStrategy.FILE
    payload_subject_strategy: PayloadSubjectStrategy | None = None  # None: the registry's
    # For comparisons made here (git:REF, DIR, two files). A check against a registry uses the
    # subject's level and policy there unless --level / --policy are given on the command line.
    level: Level = Level.BACKWARD
    policy: Policy = Policy.STRICT
    generate: GenerateSettings = field(default_factory=GenerateSettings)
    source: Path | None = None  # the config file read, if any

    def with_flags(
        self,
        *,
        registry: str | None = None,
        level: Level | None = None,
        policy: Policy | None = None,
        subject_strategy: SubjectStrategy | None = None,
        payload_subject_strategy: PayloadSubjectStrategy | None = None,
    ) -> Settings:
        """These settings with the command-line flags that were given applied."""
        out = self
        if registry is not None:
            out = replace(out, registry=_check_url(registry, "--registry"))
        if level is not None:
            out = replace(out, level=level)
        if policy is not None:
            out = replace(out, policy=policy)
        if subject_strategy is not None:
            out = replace(out, subject_strategy=subject_strategy)
        if payload_subject_strategy is not None:
            out = replace(out, payload_subject_strategy=payload_subject_strategy)
        return out


def find_config_file(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The nearest ``evreg.toml`` / ``pyproject.toml`` with ``[tool.evreg]`` and its table."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and isinstance(tool.get("evreg"), dict):
                return pyproject, tool["evreg"]
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


def _check_url(value: str, origin: str) -> str:
    url = value.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise InputError(f"{origin}: {value!r} is not a registry URL (http://host:port)")
    return url


def _enum(kind: type[StrEnum], value: object, origin: str) -> Any:
    if not isinstance(value, str):
        raise InputError(f"{origin}: expected a string, got {value!r}")
    for member in kind:
        if member.value.lower() == value.strip().lower():
            return member
    choices = ", ".join(m.value for m in kind)
    raise InputError(f"{origin}: {value!r} is not one of {choices}")


def load_settings(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the config file found from ``cwd`` upward, then the environment."""
    cwd = cwd or Path.cwd()
    env = os.environ if environ is None else environ
    settings = Settings()
    found = find_config_file(cwd)
    if found is not None:
        path, table = found
        settings = _apply_table(settings, path, table)
    return _apply_env(settings, env)


_KNOWN_KEYS = {
    "registry",
    "contracts",
    "subject_strategy",
    "payload_subject_strategy",
    "level",
    "policy",
    "generate",
}


def _apply_table(settings: Settings, path: Path, table: Mapping[str, Any]) -> Settings:
    where = str(path) if path.name == CONFIG_FILE else f"{path} [tool.evreg]"
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if "token" in unknown:
        raise InputError(f"{where}: do not keep a token in a file; set EVREG_TOKEN instead")
    if unknown:
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise InputError(f"{where}: unknown setting {unknown[0]!r} (known: {known})")
    out = replace(settings, source=path)
    if "registry" in table:
        out = replace(out, registry=_check_url(str(table["registry"]), f"{where}: registry"))
    if "contracts" in table:
        if not isinstance(table["contracts"], str):
            raise InputError(f"{where}: contracts: expected a path string")
        out = replace(out, contracts=path.parent / table["contracts"])
    if "subject_strategy" in table:
        strategy = _enum(SubjectStrategy, table["subject_strategy"], f"{where}: subject_strategy")
        out = replace(out, subject_strategy=strategy)
    if "payload_subject_strategy" in table:
        where_key = f"{where}: payload_subject_strategy"
        payloads = _enum(PayloadSubjectStrategy, table["payload_subject_strategy"], where_key)
        out = replace(out, payload_subject_strategy=payloads)
    if "level" in table:
        out = replace(out, level=_enum(Level, table["level"], f"{where}: level"))
    if "policy" in table:
        policy = _enum(Policy, table["policy"], f"{where}: policy")
        out = replace(out, policy=policy)
    if "generate" in table:
        out = replace(out, generate=_generate_table(path, where, table["generate"]))
    return out


def _generate_table(path: Path, where: str, table: object) -> GenerateSettings:
    if not isinstance(table, dict):
        raise InputError(f"{where}: generate: expected a table ([generate])")
    unknown = sorted(set(table) - set(GENERATE_KEYS))
    if unknown:
        known = ", ".join(GENERATE_KEYS)
        raise InputError(f"{where}: generate.{unknown[0]}: unknown setting (known: {known})")
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in GENERATE_KEYS:
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: generate.{key}: expected a non-empty string")
        values[key] = path.parent / value if key == "output" else value.strip()
        origins[key] = f"{where}: generate.{key}"
    return GenerateSettings(**values, where=origins)


def _apply_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    out = settings
    if env.get("EVREG_URL"):
        out = replace(out, registry=_check_url(env["EVREG_URL"], "EVREG_URL"))
    if env.get("EVREG_TOKEN"):
        out = replace(out, token=env["EVREG_TOKEN"].strip())
    if env.get("EVREG_CONTRACTS"):
        out = replace(out, contracts=Path(env["EVREG_CONTRACTS"]))
    if env.get("EVREG_SUBJECT_STRATEGY"):
        strategy = _enum(SubjectStrategy, env["EVREG_SUBJECT_STRATEGY"], "EVREG_SUBJECT_STRATEGY")
        out = replace(out, subject_strategy=strategy)
    if env.get("EVREG_PAYLOAD_SUBJECT_STRATEGY", "").strip():
        name = "EVREG_PAYLOAD_SUBJECT_STRATEGY"
        payloads = _enum(PayloadSubjectStrategy, env[name], name)
        out = replace(out, payload_subject_strategy=payloads)
    if env.get("EVREG_LEVEL"):
        out = replace(out, level=_enum(Level, env["EVREG_LEVEL"], "EVREG_LEVEL"))
    if env.get("EVREG_POLICY"):
        policy = _enum(Policy, env["EVREG_POLICY"], "EVREG_POLICY")
        out = replace(out, policy=policy)
    generate = out.generate
    where = dict(generate.where)
    if env.get("EVREG_GENERATE_LANG", "").strip():
        generate = replace(generate, lang=env["EVREG_GENERATE_LANG"].strip())
        where["lang"] = "EVREG_GENERATE_LANG"
    if env.get("EVREG_GENERATE_OUTPUT", "").strip():
        generate = replace(generate, output=Path(env["EVREG_GENERATE_OUTPUT"].strip()))
        where["output"] = "EVREG_GENERATE_OUTPUT"
    if env.get("EVREG_GENERATE_PACKAGE", "").strip():
        generate = replace(generate, package=env["EVREG_GENERATE_PACKAGE"].strip())
        where["package"] = "EVREG_GENERATE_PACKAGE"
    return replace(out, generate=replace(generate, where=where))
