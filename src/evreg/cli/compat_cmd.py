"""``evreg compat OLD NEW``: compare two local contract files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import evreg
from evreg.cli import render
from evreg.cli.render import OutputFormat
from evreg.cli.sources import folder_reader, load_source, read_source
from evreg.contracts import Level, Policy


def _parse_level(value: str) -> Level:
    try:
        return Level(value.upper())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(Level)}") from None


def _parse_policy(value: str) -> Policy:
    try:
        return Policy(value.upper())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(Policy)}") from None


def compat(
    old: Annotated[Path, typer.Argument(help="The current contract (YAML or JSON file).")],
    new: Annotated[Path, typer.Argument(help="The proposed contract (YAML or JSON file).")],
    level: Annotated[
        Level,
        typer.Option(
            "--level",
            "-l",
            parser=_parse_level,
            metavar="LEVEL",
            help="BACKWARD (the new version reads old events), FORWARD (the old version reads "
            "new events), FULL (both) or NONE; *_TRANSITIVE are accepted and mean the same "
            "for two files.",
        ),
    ] = Level.BACKWARD,
    policy: Annotated[
        Policy,
        typer.Option(
            "--policy",
            "-p",
            parser=_parse_policy,
            metavar="POLICY",
            help="STRICT (the Confluent registry's default) or LENIENT (accepts, for example, "
            "a new optional property in an open object).",
        ),
    ] = Policy.STRICT,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
    ] = OutputFormat.text,
    no_witness: Annotated[
        bool,
        typer.Option("--no-witness", help="Skip building witnesses (faster on huge schemas)."),
    ] = False,
) -> None:
    """Check whether NEW can replace OLD without breaking producers or consumers.

    Both files may be JSON Schema (any draft) or AsyncAPI 2.x/3.x, in YAML or JSON. Each
    breaking finding comes with a witness: an event that one version accepts and the other
    rejects.

    Exit codes: 0 compatible, 1 incompatible, 2 bad input (missing file, invalid contract,
    unknown level).

    Example:

        evreg compat contracts/order_placed.yaml new/order_placed.yaml --level FULL

    Example (pull-request annotations in a GitHub workflow):

        evreg compat old.json new.json --format github
    """
    old_name, new_name = str(old), str(new)
    old_text, new_text = read_source(old), read_source(new)
    old_contract = load_source(old_text, old_name, folder_reader(old.parent))
    new_contract = load_source(new_text, new_name, folder_reader(new.parent))
    report = evreg.check_compatibility(
        old_contract, new_contract, level=level, policy=policy, witnesses=not no_witness
    )

    if output_format is OutputFormat.json:
        sys.stdout.write(render.report_json(report, old=old_name, new=new_name) + "\n")
    elif output_format is OutputFormat.github:
        for line in render.report_github(
            report, new=new_name, new_source=new_text, show_witness=not no_witness
        ):
            sys.stdout.write(line + "\n")
    else:
        console = Console(soft_wrap=True, highlight=False)
        render.report_text(
            report, old=old_name, new=new_name, console=console, show_witness=not no_witness
        )
    raise typer.Exit(0 if report.is_compatible else 1)
