"""The check cache (``evreg/cli/check_cache.py``): an unchanged ``evreg check --against git:REF``
or ``--against DIR`` is replayed without importing typer or the engine, and any change to what
the check reads runs it again. The oracle is the same command run with ``EVREG_NO_CACHE=1``
(the whole check, every time): a cached run must print exactly what it prints and exit with the
same code. Whether a run was replayed is read from ``python -X importtime`` (a replayed run never
imports typer), not from timings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli_helpers import clean_env, commit, git, init_repo

from evreg.cli import check_cache
from servers import run_evreg

REPO = Path(__file__).resolve().parents[2]
CHECK = ("check", "contracts/", "--against", "git:HEAD")

ORDER = {
    "type": "object",
    "properties": {"total": {"$ref": "common.json#/$defs/Money"}},
    "required": ["total"],
}
COMMON = {
    "$defs": {
        "Money": {
            "type": "object",
            "properties": {"currency": {"type": "string", "enum": ["EUR", "USD"]}},
        }
    }
}


class Run:
    """One run's exit code and output, and (``imports``) the modules its interpreter imported,
    or ``None`` for a run forked from the fork server (which has imported everything)."""

    def __init__(self, done: subprocess.CompletedProcess[str], *, imports: bool) -> None:
        self.code = done.returncode
        lines = done.stderr.splitlines(keepends=True)
        self.modules = (
            {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
            if imports
            else None
        )
        self.stderr = "".join(line for line in lines if not line.startswith("import time:"))
        self.stdout = done.stdout

    @property
    def replayed(self) -> bool:
        assert self.modules is not None, "a forked run cannot tell: run it with imports=True"
        return "evreg.cli.check_cache" in self.modules and "typer" not in self.modules

    @property
    def output(self) -> tuple[int, str, str]:
        return self.code, self.stdout, self.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository: the example contracts plus a contract with a sibling ``$ref``."""
    repo = init_repo(tmp_path / "repo")
    files = {
        f"contracts/{p.name}": p.read_text() for p in (REPO / "contracts").iterdir() if p.is_file()
    }
    files["contracts/money/order.json"] = json.dumps(ORDER)
    files["contracts/money/common.json"] = json.dumps(COMMON)
    commit(repo, files, "contracts")
    return repo


@pytest.fixture
def evreg(tmp_path: Path) -> Callable[..., Run]:
    """Run ``evreg ARGS`` in a repository with the cache in ``tmp_path/cache`` (or off): a
    fresh interpreter under ``-X importtime`` (whether it replayed is read from its imports),
    or with ``imports=False`` forked from the fork server (``servers.run_evreg``: the same
    entry point and cache, for the runs whose output alone matters: oracles, priming runs)."""

    def run(*args: str, cwd: Path, cache: bool = True, imports: bool = True, **env: str) -> Run:
        settings = {"EVREG_CACHE_DIR": str(tmp_path / "cache")} if cache else {}
        settings |= {"EVREG_NO_CACHE": "1"} if not cache else {}
        if not imports:
            done = run_evreg(*args, cwd=cwd, env=clean_env(**settings, **env), timeout=180)
            return Run(done, imports=False)
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "evreg.cli.main", *args],
            cwd=cwd,
            env=clean_env(**settings, **env),
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        return Run(done, imports=True)

    return run


def test_an_unchanged_check_is_replayed_with_the_same_output(
    repo: Path, evreg: Callable[..., Run]
) -> None:
    oracle = evreg(*CHECK, cwd=repo, cache=False, imports=False)
    assert oracle.code == 0, oracle.stderr
    assert "6 files: 6 compatible" in oracle.stdout
    first = evreg(*CHECK, cwd=repo)
    assert not first.replayed
    second = evreg(*CHECK, cwd=repo)
    assert second.replayed
    assert first.output == second.output == oracle.output
    unwanted = {"typer", "yaml", "jsonschema", "rich", "subprocess", "evreg.contracts.loader"}
    assert not second.modules & unwanted, sorted(second.modules & unwanted)


CURRENCIES = "enum: [EUR, USD, GBP]"


def _edit(path: Path, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) with ``new`` in ``path``; returns the old text."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return text


def _breaking_order(repo: Path) -> None:
    _edit(repo / "contracts" / "order_placed.yaml", CURRENCIES, "enum: [EUR, USD]")


def _tighter_sibling(repo: Path) -> None:
    narrowed = json.loads(json.dumps(COMMON))
    narrowed["$defs"]["Money"]["properties"]["currency"]["enum"] = ["EUR"]
    (repo / "contracts" / "money" / "common.json").write_text(json.dumps(narrowed))


def _new_file(repo: Path) -> None:
    (repo / "contracts" / "new.json").write_text('{"type": "object"}')


def _invalid_file(repo: Path) -> None:
    (repo / "contracts" / "money" / "order.json").write_text('{"type": "object", "required": 3}')


def _settings(repo: Path) -> None:
    (repo / "evreg.toml").write_text('level = "FORWARD"\n')


def _settings_above(repo: Path) -> None:
    (repo.parent / "pyproject.toml").write_text('[tool.evreg]\nlevel = "NONE"\n')


def _new_commit(repo: Path) -> None:
    """HEAD moves to a commit whose order_placed.yaml accepts less: the same files now compare
    with another version."""
    path = repo / "contracts" / "order_placed.yaml"
    original = _edit(path, CURRENCIES, "enum: [EUR, USD]")
    commit(repo, {"contracts/order_placed.yaml": path.read_text()}, "narrower")
    path.write_text(original)


CHANGES = {
    "a contract changes": _breaking_order,
    "a $ref sibling changes": _tighter_sibling,
    "a file is added": _new_file,
    "a file becomes invalid": _invalid_file,
    "evreg.toml appears": _settings,
    "a pyproject.toml above appears": _settings_above,
    "the ref moves": _new_commit,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_to_what_check_reads_runs_it_again(
    change: Callable[[Path], None], repo: Path, evreg: Callable[..., Run]
) -> None:
    evreg(*CHECK, cwd=repo, imports=False)
    before = evreg(*CHECK, cwd=repo)
    assert before.replayed
    change(repo)
    oracle = evreg(*CHECK, cwd=repo, cache=False, imports=False)
    assert oracle.output != before.output  # the change matters to the verdict or the report
    again = evreg(*CHECK, cwd=repo)
    assert not again.replayed
    assert again.output == oracle.output
    assert evreg(*CHECK, cwd=repo).replayed  # and the new answer is kept in turn


def test_the_environment_and_the_arguments_are_part_of_the_key(
    repo: Path, evreg: Callable[..., Run]
) -> None:
    evreg(*CHECK, cwd=repo, imports=False)
    assert evreg(*CHECK, cwd=repo).replayed
    forward = evreg(*CHECK, cwd=repo, EVREG_LEVEL="FORWARD")
    assert not forward.replayed
    as_json = evreg(*CHECK, "--format", "json", cwd=repo)
    assert not as_json.replayed
    assert json.loads(as_json.stdout)["is_compatible"] is True


def test_against_a_folder_watches_the_folder(repo: Path, evreg: Callable[..., Run]) -> None:
    shutil.copytree(repo / "contracts", repo / "old")
    args = ("check", "contracts/", "--against", "old")
    evreg(*args, cwd=repo, imports=False)
    assert evreg(*args, cwd=repo).replayed
    # the old side accepts more: the unchanged new side now narrows it
    _edit(repo / "old" / "order_placed.yaml", CURRENCIES, "enum: [EUR, USD, GBP, CHF]")
    oracle = evreg(*args, cwd=repo, cache=False, imports=False)
    again = evreg(*args, cwd=repo)
    assert not again.replayed
    assert again.output == oracle.output
    assert again.code == 1


def test_summary_and_no_cache_are_never_replayed(
    repo: Path, evreg: Callable[..., Run], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    for _ in range(2):
        assert not evreg(*CHECK, "--summary", str(summary), cwd=repo).replayed
    assert summary.read_text().count("### evreg check") == 2  # appended by both runs
    for _ in range(2):
        assert not evreg(*CHECK, cwd=repo, cache=False).replayed
    assert not (tmp_path / "cache" / "check").exists() or not any(
        (tmp_path / "cache" / "check").iterdir()
    )


def test_a_broken_entry_is_ignored_and_written_again(
    repo: Path, evreg: Callable[..., Run], tmp_path: Path
) -> None:
    first = evreg(*CHECK, cwd=repo, imports=False)
    [entry] = (tmp_path / "cache" / "check").iterdir()
    entry.write_bytes(b"\x00not marshal")
    again = evreg(*CHECK, cwd=repo)
    assert not again.replayed
    assert again.output == first.output
    assert evreg(*CHECK, cwd=repo).replayed


def test_a_read_outside_the_watched_folders_makes_the_run_uncacheable(tmp_path: Path) -> None:
    inside, outside = tmp_path / "contracts", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    record = check_cache.Recording(["check"], str(tmp_path / "cache"))
    with record:
        check_cache.watch([str(inside)])
        check_cache.read(str(inside / "a.json"))
        assert record.cacheable
        check_cache.read(str(outside / "b.json"))
        assert not record.cacheable
    assert check_cache._current is None


def test_git_output_and_failure(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    assert check_cache.git(str(repo), "rev-parse", "HEAD") == head + "\n"
    assert check_cache.git(str(repo), "rev-parse", "--verify", "no-such-ref") is None
