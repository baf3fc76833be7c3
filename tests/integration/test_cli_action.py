"""The GitHub Action's check step and the pre-commit hook, run for real: the step's bash script
in a shallow pull-request checkout (the base branch not fetched), with evreg on PATH."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from test_cli_helpers import annotations, clean_env, commit, git, init_repo, line_containing, run

CONTRACT = "contracts/customer_registered.json"


def action(repo_root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (repo_root / ".github" / "actions" / "evreg-check" / "action.yml").read_text()
    )
    return loaded


def check_step(repo_root: Path) -> dict[str, Any]:
    steps = action(repo_root)["runs"]["steps"]
    step: dict[str, Any] = next(s for s in steps if s.get("id") == "check")
    return step


def evolution(shared_dir: Path, name: str) -> str:
    return (shared_dir / "contracts" / "evolution" / f"customer_registered.{name}.json").read_text()


def pull_request(tmp_path: Path, base: str, head: str) -> Path:
    """An upstream with `main` at ``base`` and `feature` at ``head``; a depth-1 checkout of
    `feature` (what actions/checkout does by default): origin/main is not there."""
    upstream = init_repo(tmp_path / "upstream")
    commit(upstream, {CONTRACT: base}, "base")
    git(upstream, "checkout", "-q", "-b", "feature")
    commit(upstream, {CONTRACT: head}, "change")
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--branch", "feature", f"file://{upstream}",
         str(checkout)],
        check=True, capture_output=True, env=clean_env(),
    )  # fmt: skip
    return checkout


def run_step(repo_root: Path, checkout: Path, summary: Path, **inputs: str) -> Any:
    step = check_step(repo_root)
    env = clean_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        GITHUB_BASE_REF="main",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    for name, value in step["env"].items():
        key = name
        given = inputs.get(name.removeprefix("INPUT_").lower(), "")
        if name == "EVREG_TOKEN":
            given = inputs.get("token", "")
        assert str(value).startswith("${{ inputs."), value
        env[key] = given
    return subprocess.run(
        ["bash", "-c", step["run"]],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_action_inputs(repo_root: Path) -> None:
    assert action(repo_root)["runs"]["using"] == "composite"
    inputs = action(repo_root)["inputs"]
    assert {"paths", "against", "level", "policy", "registry-url", "token"} <= set(inputs)
    run_script = check_step(repo_root)["run"]
    assert "evreg check" in run_script
    assert "--format github" in run_script
    assert '--summary "$GITHUB_STEP_SUMMARY"' in run_script


def test_breaking_pull_request_fails_with_annotations_and_summary(
    repo_root: Path, shared_dir: Path, tmp_path: Path
) -> None:
    checkout = pull_request(
        tmp_path, evolution(shared_dir, "v3"), evolution(shared_dir, "v4-adds-required-field")
    )
    summary = tmp_path / "summary.md"
    done = run_step(repo_root, checkout, summary, paths="contracts")
    assert done.returncode == 1, done.stdout + done.stderr
    (note,) = [a for a in annotations(done.stdout) if a["kind"] == "error"]
    assert note["file"] == CONTRACT
    assert int(note["line"]) == line_containing(checkout / CONTRACT, '"phone": {')
    text = summary.read_text()
    assert "### evreg check: ❌ INCOMPATIBLE (against git:origin/main)" in text
    assert "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" in text


def test_compatible_pull_request_passes(repo_root: Path, shared_dir: Path, tmp_path: Path) -> None:
    checkout = pull_request(tmp_path, evolution(shared_dir, "v1"), evolution(shared_dir, "v2"))
    summary = tmp_path / "summary.md"
    done = run_step(repo_root, checkout, summary, level="BACKWARD", policy="STRICT")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✅ COMPATIBLE" in summary.read_text()
    # FULL: v1 consumers reject v2 events carrying marketingOptIn
    full = run_step(repo_root, checkout, tmp_path / "full.md", level="FULL")
    assert full.returncode == 1


def test_pre_commit_hook(repo_root: Path, shared_dir: Path, tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "evreg-check"
    assert hook["pass_filenames"] is False
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["evreg", "check"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {CONTRACT: evolution(shared_dir, "v3")}, "v3")
    assert run(*entry[1:], cwd=repo).returncode == 0
    (repo / CONTRACT).write_text(evolution(shared_dir, "v4-adds-required-field"))
    done = run(*entry[1:], cwd=repo)
    assert done.returncode == 1
    assert "witness" in done.stdout
