"""The ``evreg`` command: a typer app, and ``main()`` that turns errors into exit codes.

Exit codes: 0 ok, 1 incompatible (or findings), 2 usage or input error, 3 registry unreachable,
server or internal error, 130 interrupted (Ctrl-C, the shell's 128 + SIGINT).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from evreg import __version__
from evreg.cli.can_i_deploy_cmd import can_i_deploy
from evreg.cli.check_cmd import check
from evreg.cli.client import RegistryRefused, RegistryUnavailable
from evreg.cli.compat_cmd import compat
from evreg.cli.generate_cmd import generate
from evreg.cli.init_cmd import init
from evreg.cli.push_cmd import push
from evreg.cli.registry_cmds import config, diff, pull, show, subjects
from evreg.cli.rules_cmd import rules
from evreg.cli.serve_cmd import serve
from evreg.cli.sources import InputError
from evreg.cli.token_cmd import token_app
from evreg.contracts import ContractError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

app = typer.Typer(
    name="evreg",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("compat")(compat)
app.command("generate")(generate)
app.command("rules")(rules)
app.command("serve")(serve)
app.command("init")(init)
app.command("push")(push)
app.command("check")(check)
app.command("can-i-deploy")(can_i_deploy)
app.command("diff")(diff)
app.command("pull")(pull)
app.command("subjects")(subjects)
app.command("show")(show)
app.command("config")(config)
app.add_typer(token_app, name="token")


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
    or internal error, 130 interrupted (Ctrl-C).

    Example:

        evreg compat contracts/order_placed.yaml new/order_placed.yaml

    Example (the pull-request gate, no registry needed):

        evreg check contracts/ --against git:origin/main
    """


def _error(message: str) -> None:
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {one_line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    try:
        app(args=None if argv is None else list(argv), prog_name="evreg")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return EXIT_OK
        if code == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into a silent exit 130
            _error("interrupted")
            return EXIT_INTERRUPTED
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return EXIT_FINDINGS
    except ContractError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except InputError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except RegistryRefused as exc:
        _error(str(exc))
        return EXIT_INPUT
    except RegistryUnavailable as exc:
        _error(str(exc))
        return EXIT_INTERNAL
    except KeyboardInterrupt:  # before or after typer's own handling
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("EVREG_DEBUG"):
            traceback.print_exc()
        _error(
            f"internal error in evreg: {type(exc).__name__}: {exc} "
            "(a bug: rerun with EVREG_DEBUG=1 for the traceback and please report it)"
        )
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
