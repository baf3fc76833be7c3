"""``evreg init``: write ``evreg.toml`` and an example contract."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from evreg.cli.config import CONFIG_FILE, DEFAULT_REGISTRY, SubjectStrategy
from evreg.cli.sources import InputError

CONFIG_TEMPLATE = """\
# evreg settings (see docs/cli.md in evreg). EVREG_* environment variables
# override these, and command-line flags override both. The token is never kept here:
# set EVREG_TOKEN.

# The registry `push`, `check`, `pull`, ... talk to (EVREG_URL overrides it).
registry = "{registry}"

# Where the contracts live: the default paths of `evreg push` and `evreg check`.
contracts = "{contracts}"

# A contract file's subject when it does not set `x-evreg-subject`:
#   "file"       the file name before its first dot (contracts/order_placed.yaml -> order_placed)
#   "file-value" the same plus "-value" (Kafka's topic-name strategy)
#   "title"      the document's title (info.title for AsyncAPI)
subject_strategy = "{strategy}"

# The JSON subjects a pushed AsyncAPI contract's payloads are registered under (the registry's
# EVREG_PAYLOAD_SUBJECT_STRATEGY when unset): "topic-name" (<channel address>-value),
# "record-name" (the payload's title, else the message name) or "topic-record-name"
# (<channel address>-<record name>).
# payload_subject_strategy = "topic-name"

# Level and policy of comparisons made here (`check --against git:REF` or a folder, `diff` of
# two files). Checks against the registry use each subject's config there.
# Levels: BACKWARD, FORWARD, FULL, *_TRANSITIVE, NONE. Policies: STRICT, LENIENT.
level = "{level}"
policy = "{policy}"

# What `evreg generate` writes (its --lang and --output): Python models and stubs.
[generate]
lang = "python"
output = "generated"
"""

EXAMPLE_CONTRACT = """\
# An example contract: the `orders` application sends `OrderPlaced` on `orders.placed`.
# Push it with `evreg push {contracts}/`; its subject is `order_placed` (the file name).
asyncapi: 3.0.0
info:
  title: orders
  version: 1.0.0
  description: The orders service announces each accepted order.
channels:
  orderPlaced:
    address: orders.placed
    messages:
      OrderPlaced:
        $ref: '#/components/messages/OrderPlaced'
operations:
  sendOrderPlaced:
    action: send
    channel:
      $ref: '#/channels/orderPlaced'
    messages:
      - $ref: '#/channels/orderPlaced/messages/OrderPlaced'
components:
  messages:
    OrderPlaced:
      name: OrderPlaced
      contentType: application/json
      payload:
        $ref: '#/components/schemas/OrderPlacedPayload'
  schemas:
    OrderPlacedPayload:
      type: object
      additionalProperties: false
      required: [orderId, customerId, total]
      properties:
        orderId:
          type: string
          format: uuid
        customerId:
          type: string
        total:
          type: number
          minimum: 0
        currency:
          type: string
          enum: [EUR, USD, GBP]
"""

EXAMPLE_NAME = "order_placed.yaml"
# `evreg serve` keeps its SQLite database in ./evreg.db (with -wal and -shm beside it while it runs)
IGNORED = "evreg.db*"


def _ignore_database(folder: Path) -> str | None:
    """Add ``evreg.db*`` to ``folder/.gitignore`` unless a line already says so; what was done."""
    path = folder / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if IGNORED in (line.strip() for line in text.splitlines()):
        return None
    prefix = "" if not text or text.endswith("\n") else "\n"
    comment = "# the local registry's database (evreg serve)\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{prefix}{comment}{IGNORED}\n")
    return f"added {IGNORED} to {path}" if text else f"wrote {path}"


def init(
    folder: Annotated[
        Path,
        typer.Argument(help="Where to write evreg.toml (default: here).", show_default=False),
    ] = Path("."),
    registry: Annotated[
        str, typer.Option("--registry", "-r", metavar="URL", help="The registry's URL.")
    ] = DEFAULT_REGISTRY,
    contracts: Annotated[
        str,
        typer.Option(
            "--contracts", metavar="DIR", help="The contracts folder, relative to FOLDER."
        ),
    ] = "contracts",
    subject_strategy: Annotated[
        SubjectStrategy,
        typer.Option("--subject-strategy", case_sensitive=False, help="How subjects are named."),
    ] = SubjectStrategy.FILE,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing evreg.toml.")
    ] = False,
    no_example: Annotated[
        bool, typer.Option("--no-example", help="Do not write the example contract.")
    ] = False,
) -> None:
    """Start using evreg here: write evreg.toml, an example contract, and evreg.db* in .gitignore.

    `evreg serve` run here keeps its database in ./evreg.db; the .gitignore line keeps that
    file out of git (a line already there is not added twice).

    Example:

        evreg init && evreg serve    # then, in another terminal: evreg push contracts/
    """
    if not registry.startswith(("http://", "https://")):
        raise InputError(f"--registry {registry!r}: expected http://host:port")
    config_path = folder / CONFIG_FILE
    if config_path.exists() and not force:
        raise InputError(f"{config_path} exists already (--force overwrites it)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        config_path.write_text(
            CONFIG_TEMPLATE.format(
                registry=registry.rstrip("/"),
                contracts=contracts,
                strategy=subject_strategy.value,
                level="BACKWARD",
                policy="STRICT",
            ),
            encoding="utf-8",
        )
        print(f"wrote {config_path}", file=sys.stderr)
        if not no_example:
            contracts_dir = folder / contracts
            example = contracts_dir / EXAMPLE_NAME
            if example.exists():
                print(f"kept {example} (it exists)", file=sys.stderr)
            else:
                contracts_dir.mkdir(parents=True, exist_ok=True)
                example.write_text(EXAMPLE_CONTRACT.format(contracts=contracts), encoding="utf-8")
                print(f"wrote {example}", file=sys.stderr)
        ignored = _ignore_database(folder)
        if ignored is not None:
            print(ignored, file=sys.stderr)
    except OSError as exc:
        raise InputError(f"{folder}: {exc.strerror or exc}") from None
    print(
        "next: `evreg serve` in one terminal, then `evreg push` and `evreg check` in another",
        file=sys.stderr,
    )
