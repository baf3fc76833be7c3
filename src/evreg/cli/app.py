"""The typer app behind ``evreg``: the root options and the table of commands.

Each command's module is imported when the command runs (or when ``--help`` lists them), not
when the app is built: ``evreg compat`` never imports the HTTP client or the code generator,
``evreg --help`` never imports the engine. ``tests/unit/test_lazy_imports.py`` guards this.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from evreg import __version__
from evreg.cli.help_format import HelpCommand, HelpGroup

# name -> "module:attribute" (a command function, or a typer app for a command group), in the
# order ``evreg --help`` lists them.
COMMANDS = {
    "compat": "evreg.cli.compat_cmd:compat",
    "generate": "evreg.cli.generate_cmd:generate",
    "rules": "evreg.cli.rules_cmd:rules",
    "serve": "evreg.cli.serve_cmd:serve",
    "init": "evreg.cli.init_cmd:init",
    "push": "evreg.cli.push_cmd:push",
    "check": "evreg.cli.check_cmd:check",
    "can-i-deploy": "evreg.cli.can_i_deploy_cmd:can_i_deploy",
    "diff": "evreg.cli.registry_cmds:diff",
    "pull": "evreg.cli.registry_cmds:pull",
    "subjects": "evreg.cli.registry_cmds:subjects",
    "show": "evreg.cli.registry_cmds:show",
    "config": "evreg.cli.registry_cmds:config",
    "token": "evreg.cli.token_cmd:token_app",
}

SETTINGS: dict[str, Any] = {"add_completion": False, "rich_markup_mode": "markdown"}


class LazyCommands(HelpGroup):
    """A group whose commands (``COMMANDS``) are imported and built on first use."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(  # type: ignore[override]
        self, ctx: typer.Context, cmd_name: str
    ) -> typer.core.TyperCommand | typer.core.TyperGroup | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = build(cmd_name)
        return self.commands.get(cmd_name)  # type: ignore[return-value]


def build(name: str) -> Any:
    """The click command for ``COMMANDS[name]``, as ``app.command(name)`` would build it."""
    module, attribute = COMMANDS[name].split(":")
    __import__(module)  # not importlib.import_module: `python -X importtime` shows this one
    target = getattr(sys.modules[module], attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:
        single = typer.Typer(**SETTINGS)
        single.command(name, cls=HelpCommand)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


app = typer.Typer(
    name="evreg",
    cls=LazyCommands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    **SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"evreg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """evreg: contract-first event schemas. Check that a contract change breaks nobody.

    Exit codes: 0 ok, 1 incompatible, 2 usage or input error, 3 registry unreachable, server
    or internal error, 130 interrupted (Ctrl-C), 141 output closed early (`evreg rules | head`).

    Example:

        evreg compat contracts/order_placed.yaml new/order_placed.yaml

    Example (the pull-request gate, no registry needed):

        evreg check contracts/ --against git:origin/main
    """
