"""``evreg can-i-deploy CONTRACT``: can every application it talks to today still talk to it?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from evreg.cli import render
from evreg.cli.files import expand, load
from evreg.cli.options import ApplicationOption, RegistryOption, client, settings
from evreg.cli.render import OutputFormat
from evreg.cli.sources import InputError

EXIT_OK, EXIT_FINDINGS = 0, 1


def can_i_deploy(
    contract: Annotated[
        Path,
        typer.Argument(help="The AsyncAPI contract about to be deployed.", show_default=False),
    ],
    registry: RegistryOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
    ] = OutputFormat.text,
    application: ApplicationOption = None,
) -> None:
    """Can every producer and consumer this contract's application talks to today still talk
    to it, once it is deployed?

    The registry pairs each channel the contract sends on with the applications that receive
    there (their latest registered contracts), and each channel it receives on with the
    applications that send there, and checks every message both ways: the receiver's schema
    must accept every event the sender's schema allows. Each failure names the other
    application, the channel, the message, and a witness event.

    Exit codes: 0 yes, 1 no (a peer could not read or be read), 2 invalid input, 3 registry
    unreachable.

    Example:

        evreg can-i-deploy contracts/orders.asyncapi.yaml
    """
    current = settings(registry=registry)
    files = expand([contract])
    if len(files) != 1:
        raise InputError(f"{contract}: give one contract file")
    loaded = load(files[0])
    if not loaded.contract.is_asyncapi:
        raise InputError(
            f"{loaded.file.display}: not an AsyncAPI document (can-i-deploy needs the "
            "channels an application sends and receives on)"
        )
    with client(current) as registry_client:
        result: dict[str, Any] = registry_client.can_i_deploy(
            loaded.schema, loaded.schema_type, application=application
        )
        url = registry_client.url
    findings = list(result.get("findings") or [])
    app = result.get("application") or loaded.file.display
    ok = not findings
    if output_format is OutputFormat.json:
        document = {"file": loaded.file.display, "registry": url, **result}
        sys.stdout.write(render.pretty_json(document) + "\n")
    elif output_format is OutputFormat.github:
        for annotation in render.consumer_findings_github(
            findings, mode="block", file=loaded.file.display, source=loaded.text
        ):
            sys.stdout.write(annotation + "\n")
    else:
        console = Console(soft_wrap=True, highlight=False)
        if ok:
            line = Text("YES", style="bold green")
            line.append(
                f"  {app} ({loaded.file.display}): every application it talks to at {url} "
                "can still talk to it"
            )
            console.print(line)
        else:
            line = Text("NO", style="bold red")
            noun = "problem" if len(findings) == 1 else "problems"
            line.append(f"  {app} ({loaded.file.display}): {len(findings)} {noun} at {url}")
            console.print(line)
            console.print()
            render.consumer_findings_text(findings, mode="block", console=console)
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)
