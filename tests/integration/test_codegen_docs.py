"""docs/codegen.md's quick start, run as a new user would: generate, then run the example."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from evreg.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "codegen.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_quick_start_works(tmp_path: Path) -> None:
    command = shlex.split(blocks("sh")[0].strip())
    assert command[:2] == ["evreg", "generate"]
    args = [str(REPO / a) if a.startswith("contracts/") else a for a in command[1:]]
    args[args.index("-o") + 1] = str(tmp_path)
    assert main(args) == 0
    script = tmp_path / "app.py"
    script.write_text(blocks("python")[0], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    published, received = done.stdout.splitlines()
    assert published.startswith("published orders.placed ")
    assert received.startswith("received order ") and received.endswith("total 25.0")
    mypy = Path(sys.executable).parent / "mypy"
    checked = subprocess.run(
        [str(mypy), "--strict", "--no-incremental", "--config-file", "/dev/null", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout
