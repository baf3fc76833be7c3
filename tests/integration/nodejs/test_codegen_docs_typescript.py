"""docs/codegen.md's TypeScript quick start, run as a new user would: generate, compile the
example strictly, run it; and the generated package type-checks with ``tsc --noEmit --strict``.

The folder's ``node_modules`` is the repository's workspace (what the docs' ``npm install``
line provides)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from evreg.cli.main import main

from . import node

DOCS = node.REPO / "docs" / "codegen.md"


def blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_typescript_quick_start_works(ts_folder: Path) -> None:
    (generate,) = [b for b in blocks("sh") if "--lang typescript" in b]
    command = shlex.split(generate.strip())
    assert command[:2] == ["evreg", "generate"]
    args = [str(node.REPO / a) if a.startswith("contracts/") else a for a in command[1:]]
    args[args.index("-o") + 1] = str(ts_folder)
    assert main(args) == 0
    package = args[args.index("--package") + 1]

    (app,) = blocks("ts")
    (ts_folder / "app.mts").write_text(app, encoding="utf-8")
    (ts_folder / "package.json").write_text(json.dumps({"type": "module"}), encoding="utf-8")
    (build,) = [b for b in blocks("sh") if "tsc" in b and "app.mts" in b]
    compile_, run_ = (shlex.split(part) for part in build.strip().split("&&"))
    assert compile_[:2] == ["npx", "tsc"] and run_[0] == "node"
    node.tsc(*compile_[2:], cwd=ts_folder)
    out = node.node(*run_[1:], cwd=ts_folder)
    lines = sorted(out.splitlines())
    assert len(lines) == 2, out
    published, received = lines
    assert published.startswith("published orders.placed ")
    assert received.startswith("received order ") and received.endswith("total 25 attempt 1")

    node.tsc("-p", package, "--noEmit", "--strict", cwd=ts_folder)
