"""Keep docs/cli.md's command reference equal to the real ``--help`` output.

The part of docs/cli.md after :data:`MARKER` is generated: every command's ``--help``, rendered
at a fixed width without colour. Regenerate it with::

    .venv/bin/python -m evreg.cli.docgen --write docs/cli.md

and check it (what the test does) with ``--check docs/cli.md`` (exit 1 when it drifted).
Run it as its own process: the width and colour are fixed through the environment before the
CLI is imported.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

WIDTH = "100"
MARKER = "<!-- generated from --help by `python -m evreg.cli.docgen --write docs/cli.md`:"
REGENERATE = ".venv/bin/python -m evreg.cli.docgen --write docs/cli.md"


def _fix_environment() -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE"):
        os.environ.pop(name, None)
    os.environ["NO_COLOR"] = "1"
    os.environ["TERMINAL_WIDTH"] = WIDTH
    os.environ["COLUMNS"] = WIDTH
    os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"


def commands() -> list[list[str]]:
    """Every command path of the app, root first, in registration order."""
    import typer
    import typer.core
    import typer.main

    from evreg.cli.app import app

    group = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(command: object, prefix: list[str]) -> None:
        if not isinstance(command, typer.core.TyperGroup):
            return
        context = typer.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is None or sub.hidden:
                continue
            found.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(group, [])
    return found


def help_text(path: list[str]) -> str:
    from evreg.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([*path, "--help"])
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def reference() -> str:
    parts = [
        f"{MARKER} do not edit below -->",
        "",
        "## Command reference",
        "",
        "The `--help` of every command, as the installed `evreg` prints it.",
        "",
    ]
    for path in commands():
        title = " ".join(["evreg", *path])
        parts += [f"### `{title}`", "", "```text", help_text(path).rstrip("\n"), "```", ""]
    return "\n".join(parts)


def render(current: str) -> str:
    """``current`` with everything from the marker on replaced by the generated reference."""
    head = current.split(MARKER, 1)[0]
    if head and not head.endswith("\n\n"):
        head = head.rstrip("\n") + "\n\n"
    return head + reference()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("--write", "--check"):
        print("usage: python -m evreg.cli.docgen --write|--check docs/cli.md", file=sys.stderr)
        return 2
    _fix_environment()
    path = Path(argv[1])
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    wanted = render(current)
    if argv[0] == "--write":
        path.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(
            f"{path} differs from the CLI's --help output; regenerate it: {REGENERATE}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
