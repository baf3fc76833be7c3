"""``evreg token create|list|revoke``: API tokens (the registry's /api/tokens, admin only)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from evreg.cli import render
from evreg.cli.help_format import HelpCommand, HelpGroup
from evreg.cli.options import ListFormat, ListFormatOption, RegistryOption, client, settings

token_app = typer.Typer(
    name="token",
    cls=HelpGroup,
    help="Create, list and revoke the registry's API tokens (needs an admin token in "
    "EVREG_TOKEN once one exists).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)


class Role(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


@token_app.command("create", cls=HelpCommand)
def create(
    role: Annotated[
        Role,
        typer.Option("--role", case_sensitive=False, help="read, write or admin."),
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="A name for the audit log.")] = "cli",
    registry: RegistryOption = None,
) -> None:
    """Create a token and print it once (only this output ever shows it).

    The token alone goes to standard output, so that a script can capture it.

    Example:

        evreg token create --role write --name ci
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        created = registry_client.create_token(name=name, role=role.value)
    sys.stdout.write(f"{created['token']}\n")
    print(
        f"created {created.get('role', role.value)} token {created.get('name', name)!r}: "
        "store it now, the registry never shows it again (use it as EVREG_TOKEN)",
        file=sys.stderr,
    )


@token_app.command("list", cls=HelpCommand)
def list_tokens(
    registry: RegistryOption = None,
    output_format: ListFormatOption = ListFormat.text,
) -> None:
    """List the tokens (never their secrets).

    Example:

        evreg token list --format json
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        tokens = registry_client.list_tokens()
    if output_format is ListFormat.json:
        sys.stdout.write(render.pretty_json(tokens) + "\n")
        return
    for token in tokens:
        state = "revoked" if token.get("revoked") else "active"
        sys.stdout.write(
            f"{token['id']:>4}  {token['role']:<5}  {state:<7}  {token.get('createdAt', '')}"
            f"  {token['name']}\n"
        )


@token_app.command("revoke", cls=HelpCommand)
def revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (token list).")],
    registry: RegistryOption = None,
) -> None:
    """Revoke a token.

    Example:

        evreg token revoke 3
    """
    current = settings(registry=registry)
    with client(current) as registry_client:
        revoked = registry_client.revoke_token(token_id)
    sys.stdout.write(f"revoked token {revoked.get('id', token_id)} ({revoked.get('name', '')})\n")
