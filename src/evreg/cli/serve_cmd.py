"""``evreg serve``: run the registry (uvicorn with the app factory, imported by path).

The CLI never imports ``evreg.registry``: uvicorn loads ``evreg.registry.app:create_app`` by
its import string, and this command hands settings over through ``EVREG_*`` variables. Without
the server extra installed the command says how to get it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

APP_FACTORY = "evreg.registry.app:create_app"
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
    if auth.lower() not in ("auto", "required"):
        print(f"error: --auth {auth}: choose auto or required", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT)
    os.environ["EVREG_AUTH"] = auth.lower()
    os.environ.setdefault("EVREG_LOG_LEVEL", log_level.upper())
    if database_url:
        os.environ["EVREG_DATABASE_URL"] = database_url
    if load is not None:
        os.environ["EVREG_LOAD_DIR"] = str(load.resolve())
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
        )
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise typer.Exit(EXIT_SERVER) from None


def _redact(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    if ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
