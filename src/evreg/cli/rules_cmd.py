"""``evreg rules``: print the rule catalogue."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from evreg.cli import render
from evreg.cli.render import RulesFormat
from evreg.contracts.compat import RULES


def rules(
    output_format: Annotated[
        RulesFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
    ] = RulesFormat.text,
) -> None:
    """List every change type evreg reports, what it means, and when it breaks.

    JSON Schema rules are the Confluent Schema Registry's change types; STRICT and LENIENT
    say whether each policy accepts the change for a reader of the new version. AsyncAPI
    rules are document-level and list the directions in which they break. Avro rules are
    the cases of Avro's schema resolution.

    Example:

        evreg rules --format json
    """
    if output_format is RulesFormat.json:
        sys.stdout.write(render.rules_json(RULES) + "\n")
    else:
        render.rules_text(RULES, console=Console(soft_wrap=True, highlight=False))
