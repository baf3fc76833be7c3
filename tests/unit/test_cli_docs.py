"""docs/cli.md's command reference is the real ``--help`` output (regenerate on drift)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from evreg.cli.docgen import REGENERATE


def test_cli_reference_matches_help_output(repo_root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evreg.cli.docgen", "--check", "docs/cli.md"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (
        f"docs/cli.md drifted from `evreg … --help`: run `{REGENERATE}` and commit it\n"
        + done.stderr
    )


def test_every_command_is_in_the_reference(repo_root: Path) -> None:
    text = (repo_root / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("init", "push", "check", "diff", "pull", "subjects", "show", "config"):
        assert f"### `evreg {command}`" in text
    assert "### `evreg token create`" in text
