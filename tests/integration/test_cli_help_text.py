"""``evreg --help`` as a user reads it: the real executable's help, no ``<bool>`` placeholder after
a flag, no two blank lines in a row (around examples), arguments in the usage line as ``OLD
NEW``. Every other command's help is checked through docs/cli.md, which
tests/unit/test_cli_docs.py keeps equal to the real ``--help`` output."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_cli_helpers import clean_env, evreg_command

REPO = Path(__file__).resolve().parents[2]
COMMANDS = re.compile(r"^### `(evreg[^`]*)`\n\n```text\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def _help(*path: str) -> str:
    done = subprocess.run(
        [*evreg_command(), *path, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(COLUMNS="100"),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def _problems(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    found = []
    if "<bool>" in text:
        found.append("a <bool> placeholder")
    found += [
        f"two blank lines before {lines[i + 2]!r}"
        for i in range(len(lines) - 2)
        if not lines[i] and not lines[i + 1] and lines[i + 2]
    ]
    if re.search(r"\{[a-z_]+\}", next((x for x in lines if x.startswith("Usage:")), "")):
        found.append("a {name} placeholder in the usage line")
    return found


@pytest.mark.parametrize("path", [[], ["compat"], ["generate"], ["token", "create"]], ids=str)
def test_real_help_reads_cleanly(path: list[str]) -> None:
    text = _help(*path)
    assert "Usage: evreg" in text
    assert _problems(text) == []


def test_compat_usage_names_its_arguments_in_capitals() -> None:
    text = _help("compat")
    usage = next(line.strip() for line in text.splitlines() if "Usage:" in line)
    assert usage == "Usage: evreg compat [OPTIONS] OLD NEW"
    assert re.search(r"\*\s+OLD\s+<path>\s+The current contract", text)
    assert re.search(r"--no-witness\s+Skip building witnesses", text)  # a flag, no type column


def test_root_help_shows_examples_with_one_blank_line_around_them() -> None:
    lines = [line.strip() for line in _help().splitlines()]
    example = lines.index("evreg compat contracts/order_placed.yaml new/order_placed.yaml")
    assert lines[example - 2 : example + 3] == [
        "Example:",
        "",
        "evreg compat contracts/order_placed.yaml new/order_placed.yaml",
        "",
        "Example (the pull-request gate, no registry needed):",
    ]


def test_every_command_in_the_reference_reads_cleanly() -> None:
    reference = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    helps = dict(COMMANDS.findall(reference))
    assert "evreg" in helps and "evreg token revoke" in helps and len(helps) >= 15
    problems = {name: _problems(text) for name, text in helps.items()}
    assert {name: found for name, found in problems.items() if found} == {}
