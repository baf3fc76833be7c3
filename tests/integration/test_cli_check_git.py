"""``evreg check --against git:REF`` and ``--against DIR`` end to end: the real executable on
temporary git repositories holding versions of the shared evolution example. No registry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_cli_helpers import (
    annotations,
    clean_env,
    commit,
    git,
    init_repo,
    line_containing,
    run,
)

CONTRACT = "contracts/customer_registered.json"


def evolution(shared_dir: Path, name: str) -> str:
    return (shared_dir / "contracts" / "evolution" / f"customer_registered.{name}.json").read_text()


@pytest.fixture
def compatible_repo(tmp_path: Path, shared_dir: Path) -> Path:
    """Two commits: v1, then v2 (adds an optional property to a closed model: BACKWARD-safe)."""
    repo = init_repo(tmp_path / "compatible")
    commit(repo, {CONTRACT: evolution(shared_dir, "v1")}, "v1")
    commit(repo, {CONTRACT: evolution(shared_dir, "v2")}, "v2")
    return repo


@pytest.fixture
def breaking_repo(tmp_path: Path, shared_dir: Path) -> Path:
    """Two commits: v3, then v4 that makes a new property `phone` required."""
    repo = init_repo(tmp_path / "breaking")
    commit(repo, {CONTRACT: evolution(shared_dir, "v3")}, "v3")
    commit(repo, {CONTRACT: evolution(shared_dir, "v4-adds-required-field")}, "v4")
    return repo


def test_compatible_change_exits_0(compatible_repo: Path) -> None:
    done = run("check", CONTRACT, "--against", "git:HEAD~1", cwd=compatible_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "COMPATIBLE" in done.stdout
    assert "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" in done.stdout
    assert "1 compatible, 0 incompatible" in done.stdout


def test_breaking_change_exits_1_with_an_annotation_on_the_line(breaking_repo: Path) -> None:
    done = run(
        "check", CONTRACT, "--against", "git:HEAD~1", "--format", "github", cwd=breaking_repo
    )
    assert done.returncode == 1, done.stdout + done.stderr
    found = annotations(done.stdout)
    assert [a["kind"] for a in found] == ["error"]
    (note,) = found
    assert note["file"] == CONTRACT
    assert note["title"] == "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    assert int(note["line"]) == line_containing(breaking_repo / CONTRACT, '"phone": {')
    # the witness: a v3 event without phone, which v4 rejects
    witness = json.loads(note["message"].split("(witness: ", 1)[1].split(" is valid", 1)[0])
    assert "phone" not in witness
    assert {"customerId", "email", "registeredAt"} <= set(witness)
    assert "Traceback" not in done.stderr


def test_the_working_tree_is_compared_with_the_ref(compatible_repo: Path, shared_dir: Path) -> None:
    # Uncommitted edit: v2 -> v4 (phone required) against HEAD.
    (compatible_repo / CONTRACT).write_text(evolution(shared_dir, "v4-adds-required-field"))
    done = run("check", "contracts", "--against", "git:HEAD", cwd=compatible_repo)
    assert done.returncode == 1
    assert "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" in done.stdout
    assert "witness: this event is valid under the old contract and rejected" in done.stdout
    assert f"git:HEAD:{CONTRACT} -> {CONTRACT}" in done.stdout


def test_from_a_subfolder_and_with_absolute_paths(breaking_repo: Path) -> None:
    absolute = breaking_repo / CONTRACT
    done = run("check", absolute, "--against", "git:HEAD~1", cwd=breaking_repo / "contracts")
    assert done.returncode == 1, done.stderr
    assert "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" in done.stdout


def test_a_file_absent_at_the_ref_is_new(compatible_repo: Path, shared_dir: Path) -> None:
    (compatible_repo / "contracts" / "brand_new.json").write_text(evolution(shared_dir, "v1"))
    done = run(
        "check", "contracts", "--against", "git:HEAD", "--format", "json", cwd=compatible_repo
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["is_compatible"] is True
    statuses = {f["file"]: f["status"] for f in result["files"]}
    assert statuses == {"contracts/brand_new.json": "new", CONTRACT: "compatible"}


def test_json_output_has_findings_with_witnesses(breaking_repo: Path) -> None:
    done = run("check", "--against", "git:HEAD~1", "--format", "json", CONTRACT, cwd=breaking_repo)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["is_compatible"] is False
    assert result["against"] == "git:HEAD~1"
    (entry,) = result["files"]
    assert entry["status"] == "incompatible"
    assert entry["subject"] == "customer_registered"
    (finding,) = [f for f in entry["findings"] if f["breaking"]]
    assert finding["path"] == "#/properties/phone"
    assert finding["line"] == line_containing(breaking_repo / CONTRACT, '"phone": {')
    assert "phone" not in finding["witness"]


def test_summary_file_gets_a_markdown_table(breaking_repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = run(
        "check",
        CONTRACT,
        "--against",
        "git:HEAD~1",
        "--format",
        "github",
        "--summary",
        summary,
        cwd=breaking_repo,
    )
    assert done.returncode == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n### evreg check: ❌ INCOMPATIBLE (against git:HEAD~1)")
    line = line_containing(breaking_repo / CONTRACT, '"phone": {')
    row = next(r for r in text.splitlines() if "REQUIRED_PROPERTY_ADDED" in r)
    assert f"`{CONTRACT}:{line}`" in row
    assert "customerId" in row  # the witness


def test_malformed_yaml_exits_2_with_file_and_line(compatible_repo: Path) -> None:
    bad = compatible_repo / "contracts" / "broken.yaml"
    bad.write_text("type: object\nproperties:\n  a: [1\n  b: 2\n")
    done = run(
        "check", "contracts", "--against", "git:HEAD", "--format", "github", cwd=compatible_repo
    )
    assert done.returncode == 2
    (note,) = annotations(done.stdout)
    assert note["file"] == "contracts/broken.yaml"
    assert note["line"] in ("3", "4")
    assert "contracts/broken.yaml:" in note["message"]

    text = run("check", "contracts/broken.yaml", "--against", "git:HEAD", cwd=compatible_repo)
    assert text.returncode == 2
    assert "contracts/broken.yaml:4" in text.stdout or "contracts/broken.yaml:3" in text.stdout
    assert "Traceback" not in text.stdout + text.stderr


def test_a_ref_that_is_not_there_says_how_to_fetch_it(compatible_repo: Path) -> None:
    done = run("check", CONTRACT, "--against", "git:origin/main", cwd=compatible_repo)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "git fetch --depth=1 origin main" in done.stderr


def test_shallow_clone_works_once_the_ref_is_fetched(breaking_repo: Path, tmp_path: Path) -> None:
    # a base branch at v3, main at v4; CI clones main only, one commit deep
    git(breaking_repo, "branch", "base", "HEAD~1")
    clone = tmp_path / "clone"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "main",
            f"file://{breaking_repo}",
            str(clone),
        ],
        check=True,
        capture_output=True,
    )
    missing = run("check", CONTRACT, "--against", "git:origin/base", cwd=clone)
    assert missing.returncode == 2
    assert "git fetch --depth=1 origin base" in missing.stderr

    git(clone, "fetch", "-q", "--depth=1", "origin", "base:refs/remotes/origin/base")
    done = run("check", CONTRACT, "--against", "git:origin/base", "--format", "github", cwd=clone)
    assert done.returncode == 1, done.stderr
    assert annotations(done.stdout)[0]["title"] == "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"


def test_outside_a_git_repository(tmp_path: Path, shared_dir: Path) -> None:
    path = tmp_path / "lonely" / "c.json"
    path.parent.mkdir()
    path.write_text(evolution(shared_dir, "v1"))
    done = run("check", path, "--against", "git:HEAD", cwd=path.parent)
    assert done.returncode == 2
    assert "not inside a git repository" in done.stderr


def test_against_a_folder_of_same_named_files(tmp_path: Path, shared_dir: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "customer.json").write_text(evolution(shared_dir, "v3"))
    (new / "customer.json").write_text(evolution(shared_dir, "v4-removes-enum-value"))
    (new / "other.json").write_text(evolution(shared_dir, "v1"))
    done = run("check", new, "--against", old, "--format", "json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    statuses = {Path(f["file"]).name: f["status"] for f in result["files"]}
    assert statuses == {"customer.json": "incompatible", "other.json": "new"}
    # FORWARD accepts removing an enum value (every value v4 allows, v3 allows)
    forward = run("check", new / "customer.json", "--against", old, "--level", "FORWARD")
    assert forward.returncode == 0, forward.stdout


def test_level_and_policy_come_from_evreg_toml(tmp_path: Path, shared_dir: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "customer.json").write_text(evolution(shared_dir, "v3"))
    (new / "customer.json").write_text(evolution(shared_dir, "v4-removes-enum-value"))
    (tmp_path / "evreg.toml").write_text('level = "FORWARD"\n')
    assert run("check", "new", "--against", "old", cwd=tmp_path).returncode == 0
    env_done = run(
        "check",
        "new",
        "--against",
        "old",
        cwd=tmp_path,
        env={**clean_env(), "EVREG_LEVEL": "BACKWARD"},
    )
    assert env_done.returncode == 1
    flag = run("check", "new", "--against", "old", "--level", "FULL", cwd=tmp_path)
    assert flag.returncode == 1
