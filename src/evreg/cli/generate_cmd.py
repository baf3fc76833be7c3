"""``evreg generate``: a typed package in Python or TypeScript (types, producer, consumer,
contract tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evreg.cli.client import RegistryClient, RegistryRefused
from evreg.cli.files import expand, load, subject_for
from evreg.cli.options import RegistryOption, StrategyOption, client, settings
from evreg.cli.sources import InputError, load_source
from evreg.codegen import (
    SUPPORTED_LANGUAGES,
    CodegenError,
    SourceContract,
    default_package,
    package_key,
    read_key,
    write_package,
)
from evreg.codegen import generate as generate_package
from evreg.contracts.topics import topic_name


def _payload_ids(registry: RegistryClient, source: SourceContract) -> dict[str, int]:
    """The ids of the ``<topic>-value`` subjects of the channels the contract sends on, by the
    channel's address (``evreg.contracts.topics`` names the topic)."""
    contract = source.contract
    ids: dict[str, int] = {}
    for operation in contract.operations.values():
        channel = contract.channels.get(operation.channel)
        topic = topic_name(contract, channel) if channel is not None else None
        if operation.action != "send" or channel is None or not channel.address or not topic:
            continue
        try:
            ids[channel.address] = registry.version(f"{topic}-value").id
        except RegistryRefused as exc:
            if exc.status != 404:
                raise
    return ids


def _from_registry(registry: RegistryClient, subjects: list[str]) -> list[SourceContract]:
    sources = []
    for subject in subjects:
        latest = registry.version(subject)
        contract = load_source(latest.schema, f"registry:{subject}", schema_type=latest.schema_type)
        source = SourceContract(
            contract,
            label=f"registry subject {subject} version {latest.version} (schema id {latest.id})",
            subject=subject,
            schema_id=latest.id,
        )
        ids = _payload_ids(registry, source)
        sources.append(
            SourceContract(
                contract, source.label, subject, schema_id=latest.id, payload_schema_ids=ids
            )
        )
    return sources


def _languages() -> str:
    return ", ".join(SUPPORTED_LANGUAGES)


def generate(
    contracts: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Contract files or folders (AsyncAPI 2.x/3.x or JSON Schema, YAML or JSON; "
            "default: `contracts` in evreg.toml, else ./contracts, unless --from-registry).",
            metavar="CONTRACTS...",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            "-l",
            help=f"Target language: {_languages()}. `--lang list` prints them (default: "
            "`lang` under [generate] in evreg.toml, then EVREG_GENERATE_LANG, then python).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder to write the package into, PATH/NAME/ (default: `output` under "
            "[generate] in evreg.toml, then EVREG_GENERATE_OUTPUT, then `generated` in the "
            "current folder).",
            show_default=False,
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            "-p",
            help="Package name (default: `package` under [generate], then "
            "EVREG_GENERATE_PACKAGE, then from the contract's title; 'events' for several).",
            show_default=False,
        ),
    ] = None,
    from_registry: Annotated[
        list[str] | None,
        typer.Option(
            "--from-registry",
            help="Generate from the latest version of this registry subject (repeatable).",
        ),
    ] = None,
    registry: RegistryOption = None,
    subject_strategy: StrategyOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Write even when the contracts have not changed."),
    ] = False,
) -> None:
    """Generate a typed package from contracts: a type for every payload and header set, a
    producer with one method per send operation, a consumer with one handler per receive
    operation, and contract tests. Python: pydantic models, pytest tests. TypeScript: an npm
    package on @evreg/runtime, node:test tests (needs Node.js and npm: json-schema-to-typescript
    writes the types, installed once from evreg's lockfile).

    Output is byte-identical for the same contracts; when the contracts, evreg's version and
    the options are those of the last run, nothing is rewritten (use --force to rewrite).

    With --from-registry the producer also sends the registry's schema id (that of the
    channel's `<topic>-value` subject when the registry has one, else the contract's; the topic
    is the address made a Kafka topic name: docs/asyncapi.md).

    Defaults come from the `[generate]` table of evreg.toml (as `evreg init` writes it: `lang`,
    `output`, and `package` if you add it) and the `contracts` folder, overridden by
    EVREG_GENERATE_LANG / EVREG_GENERATE_OUTPUT / EVREG_GENERATE_PACKAGE / EVREG_CONTRACTS,
    overridden by the flags and arguments.

    Exit codes: 0 written (or up to date), 2 bad input or unsupported language, 3 registry
    unreachable.

    Example:

        evreg generate --lang python contracts/order_placed.yaml -o src --package orders_events

    Example (TypeScript):

        evreg generate --lang typescript contracts/order_placed.yaml -o . --package orders-events

    Example (everything from evreg.toml, or the defaults: Python, ./contracts, ./generated):

        evreg generate
    """
    if lang == "list":
        for language in SUPPORTED_LANGUAGES:
            print(language)
        raise typer.Exit(0)
    current = settings(registry=registry, subject_strategy=subject_strategy)
    wanted = current.generate
    lang_origin = "--lang"
    if lang is None:
        lang, lang_origin = wanted.lang, wanted.where.get("lang", "the default language")
    if lang not in SUPPORTED_LANGUAGES:
        raise InputError(
            f"{lang_origin}: {lang!r} is not supported; supported languages: {_languages()}"
        )
    output = output or wanted.output
    package = package or wanted.package
    targets = list(contracts or [])
    if not targets and not from_registry:
        if not current.contracts.exists():
            raise InputError(
                f"no contracts given and the contracts folder {current.contracts} does not "
                "exist (pass files or folders, set `contracts` in evreg.toml, or use "
                "--from-registry SUBJECT)"
            )
        targets = [current.contracts]
    sources: list[SourceContract] = []
    for file in expand(targets):
        loaded = load(file)
        subject = subject_for(loaded, current.subject_strategy)
        sources.append(SourceContract(loaded.contract, file.rel.as_posix(), subject))
    if from_registry:
        with client(current) as registry_client:
            sources.extend(_from_registry(registry_client, from_registry))
    try:
        name = package or default_package(sources, lang)
        key = package_key(sources, lang, name)
        if not force and read_key(output, name) == key:
            print(f"{output / name}: up to date (contracts unchanged)")
            return
        plan = generate_package(sources, lang, package=name)
        written = write_package(plan, output)
    except CodegenError as exc:
        raise InputError(str(exc)) from None
    changed = sum(1 for w in written if w.changed)
    print(f"{output / plan.name}: {len(written)} files, {changed} changed")
