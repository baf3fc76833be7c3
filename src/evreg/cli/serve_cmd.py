"""``evreg serve``: run the registry (uvicorn with the app factory, imported by path).

The CLI never imports ``evreg.registry``: uvicorn loads ``evreg.registry.app:create_app`` by
its import string, and this command hands settings over through ``EVREG_*`` variables. Before
starting uvicorn it runs the registry's own check of those variables (also by import string,
:data:`SETTINGS_CHECK`), which opens the database once: a wrong setting is one line naming it
(exit 2), an unreachable database one line with its URL, password hidden (exit 3), and nothing
is started. Without the server extra installed the command says how to get it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

APP_FACTORY = "evreg.registry.app:create_app"
# uvicorn's HTTP protocol with a header-read timeout (EVREG_HEADER_TIMEOUT), by import path
HTTP_PROTOCOL = "evreg.registry.http_protocol:HeaderTimeout"
# Raises ValueError naming the setting, or ConnectionError for an unreachable database;
# returns warnings.
SETTINGS_CHECK = "evreg.registry.settings:check_environment"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# The variables the CLI itself reads (config.py, main.py): not misspelt registry settings.
CLI_VARIABLES = (
    "EVREG_URL",
    "EVREG_TOKEN",
    "EVREG_CONTRACTS",
    "EVREG_SUBJECT_STRATEGY",
    "EVREG_LEVEL",
    "EVREG_POLICY",
    "EVREG_GENERATE_LANG",
    "EVREG_GENERATE_OUTPUT",
    "EVREG_GENERATE_PACKAGE",
    "EVREG_DEBUG",
)
EXIT_INPUT = 2
EXIT_SERVER = 3


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.", min=1, max=65535)] = 8081,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="EVREG_DATABASE_URL",
            help="sqlite:///./evreg.db (default) or postgresql+psycopg://user:pw@host/db.",
        ),
    ] = None,
    load: Annotated[
        Path | None,
        typer.Option(
            "--load",
            file_okay=False,
            dir_okay=True,
            help="Push every `*.yaml`, `*.yml` and `*.json` contract in this folder at start "
            "(subject: `x-evreg-subject`, else the file name before its first dot).",
        ),
    ] = None,
    auth: Annotated[
        str,
        typer.Option(
            "--auth",
            envvar="EVREG_AUTH",
            help="`auto`: writes are open until an admin token exists; `required`: writes "
            "always need a token.",
        ),
    ] = "auto",
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info, debug.")
    ] = "info",
) -> None:
    """Run the schema registry: the Confluent Schema Registry API for JSON and AsyncAPI.

    Every setting (these flags and the `EVREG_*` variables of docs/operations.md) is checked,
    and the database opened once, before the server starts. Exit codes: 0 stopped (Ctrl-C), 2
    a bad setting, or a database that refuses the connection (one line naming the variable or
    flag; nothing started or written), 3 the database does not answer, or the server failed.

    Example:

        evreg serve --port 8081 --load contracts/
    """
    missing = [m for m in ("uvicorn", "fastapi", "sqlmodel") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"error: evreg serve needs the server extra ({', '.join(missing)} missing): "
            "pip install 'evreg[server]'",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_INPUT)
    if load is not None and not load.is_dir():
        print(f"error: --load {load}: not a directory", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT)
    if auth.strip().lower() not in ("auto", "required"):
        _fail(f"--auth / EVREG_AUTH={auth!r}: choose auto or required")
    if log_level.strip().lower() not in LOG_LEVELS:
        _fail(f"--log-level={log_level!r}: choose from {', '.join(LOG_LEVELS)}")
    if database_url is not None and not database_url.strip():
        _fail("--database-url='': empty; leave it out for sqlite:///./evreg.db")
    log_level = log_level.strip().lower()
    os.environ["EVREG_AUTH"] = auth.strip().lower()
    os.environ.setdefault("EVREG_LOG_LEVEL", log_level.upper())
    if database_url:
        os.environ["EVREG_DATABASE_URL"] = database_url
    if load is not None:
        os.environ["EVREG_LOAD_DIR"] = str(load.resolve())
    _check_settings()
    print(
        f"evreg registry on http://{host}:{port} "
        f"(database {_redact(os.environ.get('EVREG_DATABASE_URL', 'sqlite:///./evreg.db'))})",
        file=sys.stderr,
    )
    import uvicorn

    try:
        # evreg writes its own access log (JSON, with request ids): uvicorn's is switched off
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,
            http=HTTP_PROTOCOL,  # closes connections whose headers do not come in time
        )
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise typer.Exit(EXIT_SERVER) from None


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _check_settings() -> None:
    """The registry's check of the ``EVREG_*`` variables (it opens the database once); its
    warnings (a variable that looks like a misspelt setting) are printed, and the server
    starts."""
    module, name = SETTINGS_CHECK.split(":")
    check = getattr(importlib.import_module(module), name)
    try:
        warnings: list[str] = check(also_known=CLI_VARIABLES)
    except ValueError as exc:
        _fail(str(exc))
    except ConnectionError as exc:
        _fail(str(exc), EXIT_SERVER)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _redact(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    if ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
