"""The first session of docs/cli.md, end to end: ``evreg init``, ``evreg serve``, ``evreg push
contracts/``, break a contract, ``evreg check`` fails with the witness, ``evreg check --against
git:HEAD`` fails the same way with no registry, ``evreg push`` refuses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_helpers import (
    Registry,
    annotations,
    clean_env,
    git,
    init_repo,
    line_containing,
    run,
)

CONTRACT = "contracts/order_placed.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, Registry]]:
    folder = init_repo(tmp_path / "shop")
    # where `evreg serve` run in the project keeps it (./evreg.db), on a free port
    server = Registry(f"sqlite:///{folder / 'evreg.db'}", tmp_path).start()
    try:
        yield folder, server
    finally:
        server.stop()


def test_first_session(project: tuple[Path, Registry]) -> None:
    folder, server = project
    env = clean_env()  # no EVREG_URL: the registry comes from evreg.toml

    done = run("init", "--registry", server.url, cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    assert (folder / "evreg.toml").is_file()
    assert (folder / CONTRACT).is_file()
    assert f'registry = "{server.url}"' in (folder / "evreg.toml").read_text()
    again = run("init", cwd=folder, env=env)
    assert again.returncode == 2
    assert "exists already" in again.stderr

    pushed = run("push", "contracts/", cwd=folder, env=env)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert f"REGISTERED  {CONTRACT}  subject order_placed  version 1  id " in pushed.stdout
    assert "payload subject orders.placed-value  version 1" in pushed.stdout
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first contract")
    # `git add .` took the contract and the config, not the registry's database
    assert (folder / "evreg.db").is_file()
    assert git(folder, "ls-files").split() == [".gitignore", CONTRACT, "evreg.toml"]

    # a fresh contract passes both gates
    assert run("check", cwd=folder, env=env).returncode == 0
    assert run("check", "--against", "git:HEAD", cwd=folder, env=env).returncode == 0

    # break it: currency becomes required
    path = folder / CONTRACT
    text = path.read_text()
    assert "required: [orderId, customerId, total]" in text
    path.write_text(
        text.replace(
            "required: [orderId, customerId, total]",
            "required: [orderId, customerId, total, currency]",
        )
    )

    online = run("check", cwd=folder, env=env)
    assert online.returncode == 1, online.stdout + online.stderr
    assert "REQUIRED_ATTRIBUTE_ADDED" in online.stdout
    assert "witness: this event is valid under the old contract and rejected by the new one" in (
        online.stdout
    )
    # the payload subject a push would also register refuses it for the same finding
    assert (
        "INCOMPATIBLE  payload subject orders.placed-value (BACKWARD, policy STRICT) refuses it "
        "too, for the breaking findings above" in online.stdout
    )

    offline_env = clean_env(EVREG_URL="http://127.0.0.1:9")  # no registry there: never asked
    offline = run("check", "--against", "git:HEAD", cwd=folder, env=offline_env)
    assert offline.returncode == 1, offline.stdout + offline.stderr
    assert "REQUIRED_ATTRIBUTE_ADDED" in offline.stdout

    # the same finding, the same witness, the same line, both ways
    def findings(args: list[str], run_env: dict[str, str]) -> list[tuple[str, str, str]]:
        out = run("check", *args, "--format", "json", cwd=folder, env=run_env)
        assert out.returncode == 1
        (entry,) = json.loads(out.stdout)["files"]
        return [
            (f["rule"], f["path"], json.dumps(f["witness"], sort_keys=True))
            for f in entry["findings"]
            if f["breaking"]
        ]

    assert findings([], env) == findings(["--against", "git:HEAD"], offline_env)
    online_gh = run("check", "--format", "github", cwd=folder, env=env)
    offline_gh = run(
        "check", "--against", "git:HEAD", "--format", "github", cwd=folder, env=offline_env
    )
    (a,) = annotations(online_gh.stdout)
    (b,) = annotations(offline_gh.stdout)
    assert a["file"] == b["file"] == CONTRACT
    assert a["line"] == b["line"] == str(line_containing(path, "required: [orderId"))
    assert a["title"] == b["title"] == "REQUIRED_ATTRIBUTE_ADDED"

    refused = run("push", cwd=folder, env=env)
    assert refused.returncode == 1
    assert "REFUSED" in refused.stdout
    assert "REQUIRED_ATTRIBUTE_ADDED" in refused.stdout
    shown = json.loads(run("show", "order_placed", "--format", "json", cwd=folder, env=env).stdout)
    assert shown["versions"] == [1]
