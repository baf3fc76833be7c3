"""Reading the registry: ``pull``, ``subjects``, ``show``, ``config`` and ``diff``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.text import Text

import evreg
from evreg.cli import render
from evreg.cli.options import (
    LevelOption,
    ListFormat,
    ListFormatOption,
    PolicyOption,
    RegistryOption,
    client,
    settings,
)
from evreg.cli.sources import InputError, folder_reader, load_source, read_source

EXIT_OK, EXIT_FINDINGS = 0, 1


def _console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _version_spec(value: str | None, what: str = "--version") -> str:
    """``latest`` or a positive number, as the registry's routes take it."""
    if value is None or value.lower() == "latest":
        return "latest"
    if value.isdigit() and 0 < int(value) < 2**31:
        return str(int(value))
    raise InputError(f"{what} {value!r}: expected a version number (1, 2, ...) or `latest`")


# ---------------------------------------------------------------- pull


def pull(
    subject: Annotated[str, typer.Argument(help="The subject to read.")],
    version: Annotated[
        str | None,
        typer.Option("--version", "-v", metavar="N", help="A version number, or latest."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the schema to FILE (YAML when it ends in .yaml or .yml, else JSON) "
            "instead of standard output.",
            show_default=False,
        ),
    ] = None,
    registry: RegistryOption = None,
) -> None:
    """Fetch a registered schema (the contract as the registry stores it).

    Example:

        evreg pull order_placed -o contracts/order_placed.json

    Example (an older version, as YAML):

        evreg pull order_placed --version 2 -o order_placed.v2.yaml
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        found = registry_client.version(subject, _version_spec(version))
    try:
        document = json.loads(found.schema)
    except ValueError:
        document = None
    if output is not None and output.suffix.lower() in (".yaml", ".yml") and document is not None:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    elif document is not None:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = found.schema if found.schema.endswith("\n") else found.schema + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: {exc.strerror or exc}") from None
    print(
        f"wrote {output} (subject {found.subject} version {found.version} id {found.id})",
        file=sys.stderr,
    )


# ---------------------------------------------------------------- subjects


def subjects(
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Only subjects starting with this.", show_default=False),
    ] = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include soft-deleted subjects.")
    ] = False,
    registry: RegistryOption = None,
    output_format: ListFormatOption = ListFormat.text,
) -> None:
    """List the registry's subjects.

    Example:

        evreg subjects --prefix orders
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        names = registry_client.subjects(prefix=prefix, deleted=deleted)
    if output_format is ListFormat.json:
        sys.stdout.write(render.pretty_json(names) + "\n")
    else:
        for name in names:
            sys.stdout.write(name + "\n")


# ---------------------------------------------------------------- show


def show(
    subject: Annotated[str, typer.Argument(help="The subject to describe.")],
    version: Annotated[
        str | None,
        typer.Option("--version", "-v", metavar="N", help="A version number, or latest."),
    ] = None,
    registry: RegistryOption = None,
    output_format: ListFormatOption = ListFormat.text,
) -> None:
    """Describe a subject: its versions, compatibility config, and (for an AsyncAPI contract)
    its channels, operations and messages.

    Example:

        evreg show order_placed
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        found = registry_client.version(subject, _version_spec(version))
        versions = registry_client.versions(subject)
        config = registry_client.get_config(subject)
        view = (
            registry_client.asyncapi_view(subject, found.version)
            if found.schema_type == "ASYNCAPI"
            else None
        )
    info: dict[str, Any] = {
        "subject": found.subject,
        "versions": versions,
        "version": found.version,
        "id": found.id,
        "schemaType": found.schema_type,
        "compatibilityLevel": config.get("compatibilityLevel"),
        "compatibilityPolicy": config.get("compatibilityPolicy", "STRICT"),
    }
    if view is not None:
        info["title"] = view.get("title")
        info["channels"] = view.get("channels", [])
        info["operations"] = view.get("operations", [])
        info["messages"] = view.get("messages", [])
    if output_format is ListFormat.json:
        sys.stdout.write(render.pretty_json(info) + "\n")
        return
    console = _console()

    def row(key: str, value: str) -> None:
        line = Text(f"{key:<14}", style="bold")
        line.append(value)
        console.print(line)

    row("subject", found.subject)
    row("versions", ", ".join(map(str, versions)))
    row("version", f"{found.version}  id {found.id}  {found.schema_type}")
    row("compatibility", f"{info['compatibilityLevel']}, policy {info['compatibilityPolicy']}")
    if view is not None:
        row("title", str(view.get("title") or ""))
        for op in view.get("operations", []):
            row("operation", f"{op['key']}: {op['action']} on channel {op['channel']}")
        for channel in view.get("channels", []):
            address = channel.get("address") or channel["key"]
            row("channel", f"{address}  messages {', '.join(channel.get('messages', []))}")
        for message in view.get("messages", []):
            summary = message.get("summary") or message.get("title") or ""
            row("message", f"{message['key']}  {summary}".rstrip())


# ---------------------------------------------------------------- config


def config(
    subject: Annotated[
        str | None,
        typer.Argument(help="A subject (default: the global config).", show_default=False),
    ] = None,
    level: LevelOption = None,
    policy: PolicyOption = None,
    unset: Annotated[
        bool,
        typer.Option("--unset", help="Remove the subject's (or the global) config."),
    ] = False,
    registry: RegistryOption = None,
    output_format: ListFormatOption = ListFormat.text,
) -> None:
    """Show or set the compatibility level and policy, globally or for one subject.

    Example:

        evreg config order_placed --level FULL_TRANSITIVE --policy LENIENT
    """
    if unset and (level is not None or policy is not None):
        raise InputError("--unset cannot be combined with --level or --policy")
    current = settings(registry=registry)
    with client(current) as registry_client:
        if unset:
            registry_client.delete_config(subject)
        elif level is not None or policy is not None:
            registry_client.set_config(subject, level=level, policy=policy)
        shown = registry_client.get_config(subject)
    shown.setdefault("compatibilityPolicy", "STRICT")
    if output_format is ListFormat.json:
        sys.stdout.write(render.pretty_json({"subject": subject, **shown}) + "\n")
        return
    scope = f"subject {subject}" if subject else "global"
    sys.stdout.write(
        f"{scope}: {shown.get('compatibilityLevel')}, policy {shown['compatibilityPolicy']}\n"
    )


# ---------------------------------------------------------------- diff


def diff(
    first: Annotated[
        str, typer.Argument(metavar="SUBJECT|OLD_FILE", help="A subject, or the old file.")
    ],
    second: Annotated[
        str | None,
        typer.Argument(
            metavar="[V1|NEW_FILE]",
            help="The earlier version (default: the one before V2), or the new file.",
            show_default=False,
        ),
    ] = None,
    third: Annotated[
        str | None,
        typer.Argument(
            metavar="[V2]", help="The later version (default: latest).", show_default=False
        ),
    ] = None,
    level: LevelOption = None,
    policy: PolicyOption = None,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit with 1 when a change is breaking."),
    ] = False,
    registry: RegistryOption = None,
    output_format: ListFormatOption = ListFormat.text,
) -> None:
    """Every change between two versions of a subject, or between two files, breaking or not.

    With two existing files, compares them locally (no registry). Otherwise the first
    argument is a subject: `diff SUBJECT` compares the latest version with the one before,
    `diff SUBJECT 1` version 1 with the latest, `diff SUBJECT 1 3` version 1 with 3.

    Example:

        evreg diff order_placed 1 2

    Example (two local files):

        evreg diff old/order_placed.yaml contracts/order_placed.yaml
    """
    current = settings(registry=registry, level=level, policy=policy)
    if second is not None and Path(first).is_file():
        if third is not None:
            raise InputError("diff OLD_FILE NEW_FILE takes two files, not three arguments")
        old_path, new_path = Path(first), Path(second)
        old_text, new_text = read_source(old_path), read_source(new_path)
        report = evreg.check_compatibility(
            load_source(old_text, first, folder_reader(old_path.parent)),
            load_source(new_text, second, folder_reader(new_path.parent)),
            level=current.level,
            policy=current.policy,
        )
        old_name, new_name = first, second
    else:
        subject = first
        with client(current) as registry_client:
            if third is not None:
                old_spec, new_spec = _version_spec(second, "V1"), _version_spec(third, "V2")
            elif second is not None:
                old_spec, new_spec = _version_spec(second, "V1"), "latest"
            else:
                versions = registry_client.versions(subject)
                if len(versions) < 2:
                    sys.stdout.write(
                        f"subject {subject} has one version ({versions[0] if versions else '-'})"
                        ": nothing to compare\n"
                    )
                    raise typer.Exit(EXIT_OK)
                old_spec, new_spec = str(versions[-2]), str(versions[-1])
            report = registry_client.diff(subject, old_spec, new_spec, level=level, policy=policy)
        old_name, new_name = f"{subject} v{old_spec}", f"{subject} v{new_spec}"
    if output_format is ListFormat.json:
        sys.stdout.write(render.report_json(report, old=old_name, new=new_name) + "\n")
    else:
        render.report_text(report, old=old_name, new=new_name, console=_console())
    raise typer.Exit(EXIT_FINDINGS if exit_code and not report.is_compatible else EXIT_OK)
