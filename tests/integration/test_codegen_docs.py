"""docs/codegen.md's quick start, run as a new user would: generate, then run the example."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from evreg.cli.main import main
from typecheck import mypy

REPO = Path(__file__).resolve().parents[2]


def blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "codegen.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def check_strict(script: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``mypy --strict`` passes on ``script`` (next to the generated package)."""
    args = ("--strict", "--config-file", "/dev/null", script.name)
    checked = mypy(tmp_path_factory, "strict", *args, cwd=script.parent, timeout=300)
    assert checked.returncode == 0, checked.stdout


def test_the_quick_start_works(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
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
    check_strict(tmp_path / "app.py", tmp_path_factory)


def delete_example_stream(nats_url: str) -> None:
    import asyncio

    import nats
    from nats.js.errors import NotFoundError

    async def delete() -> None:
        connection = await nats.connect(nats_url)
        try:
            await connection.jetstream().delete_stream("EVREG_EXAMPLE_ORDERS")
        except NotFoundError:
            pass
        finally:
            await connection.close()

    asyncio.run(delete())


@pytest.mark.services
def test_the_broker_example_works(
    tmp_path: Path, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The complete JetStream example, as written, on the quick start's package; its stream
    (and the group's durable consumer with it) is deleted before and after."""
    command = shlex.split(blocks("sh")[0].strip())
    args = [str(REPO / a) if a.startswith("contracts/") else a for a in command[1:]]
    args[args.index("-o") + 1] = str(tmp_path)
    assert main(args) == 0
    [example] = [b for b in blocks("python") if "NatsTransport.connect(NATS_URL" in b]
    (tmp_path / "app.py").write_text(example, encoding="utf-8")
    delete_example_stream(nats_url)
    try:
        done = subprocess.run(
            [sys.executable, "app.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NATS_URL": nats_url},
        )
    finally:
        delete_example_stream(nats_url)
    assert done.returncode == 0, done.stderr
    # the handler may run before the producer has the stream's acknowledgement back, so the
    # two lines come in either order
    lines = done.stdout.splitlines()
    [published] = [line for line in lines if line.startswith("published ")]
    order_id = published.split()[-1]
    assert sorted(lines) == [f"billing received {order_id}", f"published orders.placed {order_id}"]
    check_strict(tmp_path / "app.py", tmp_path_factory)
