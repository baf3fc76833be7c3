"""Benchmark: the CLI's start-up, against a bare ``python -c pass`` in the same run.

    .venv/bin/python bench/bench_cli_startup.py [--runs N]

Each command runs N times as a fresh process (the installed ``evreg`` script, the way a
pre-commit hook or a CI step runs it); the commands take turns, round after round, so that they
share the machine's load. Per command: the median CPU time of the child process (user + system,
from ``getrusage(RUSAGE_CHILDREN)`` around each run, git's own processes included) and the median
wall time. The baseline is ``python -c pass`` with the same interpreter.

The check commands run in a temporary git repository holding a copy of ``contracts/``,
committed: ``evreg check contracts/ --against git:HEAD``, the pre-commit hook's command, on
unchanged contracts. "not replayed" runs with ``EVREG_NO_CACHE=1`` (the whole check, every
time); "replayed" is the same command with the check cache (``evreg/cli/check_cache.py``) in a
temporary folder, filled by one untimed run first. The issue's targets: at most 150 ms of CPU and
at most 3x the baseline's CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import timing
from timing import REPO, table

CPU_LIMIT = 0.150  # seconds
RATIO_LIMIT = 3.0


def _evreg() -> list[str]:
    script = Path(sys.executable).with_name("evreg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evreg.cli.main"]


def _run_once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.returncode


def _repository(folder: Path) -> None:
    shutil.copytree(REPO / "contracts", folder / "contracts")
    git = ["git", "-C", str(folder), "-c", "user.name=bench", "-c", "user.email=bench@example"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "contracts"]):
        subprocess.run([*git, *args], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per command")
    args = parser.parse_args()

    timing.header("evreg start-up against python -c pass")
    with tempfile.TemporaryDirectory(prefix="evreg-bench-cli-") as temporary:
        work = Path(temporary)
        _repository(work / "repo")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("EVREG_")}
        cached_env = {**base_env, "EVREG_CACHE_DIR": str(work / "cache")}
        uncached_env = {**base_env, "EVREG_NO_CACHE": "1"}
        check = [*_evreg(), "check", "contracts/", "--against", "git:HEAD"]
        commands = {
            "python -c pass (baseline)": ([sys.executable, "-c", "pass"], base_env),
            "evreg --version": ([*_evreg(), "--version"], base_env),
            "evreg check --against git:HEAD, unchanged, not replayed": (check, uncached_env),
            "evreg check --against git:HEAD, unchanged, replayed": (check, cached_env),
        }
        cwd = work / "repo"
        for command, env in commands.values():  # one untimed run each: fills the cache
            _run_once(command, cwd, env)
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        wall: dict[str, list[float]] = {name: [] for name in commands}
        codes: dict[str, set[int]] = {name: set() for name in commands}
        for _ in range(args.runs):
            for name, (command, env) in commands.items():
                spent, elapsed, code = _run_once(command, cwd, env)
                cpu[name].append(spent)
                wall[name].append(elapsed)
                codes[name].add(code)

    baseline = statistics.median(cpu["python -c pass (baseline)"])
    rows = []
    for name in commands:
        median_cpu = statistics.median(cpu[name])
        ratio = median_cpu / baseline
        met = median_cpu <= CPU_LIMIT and ratio <= RATIO_LIMIT
        rows.append(
            [
                name,
                timing.ms(median_cpu),
                timing.ms(min(cpu[name])),
                timing.ms(statistics.median(wall[name])),
                f"{ratio:.2f}x",
                "-" if name.startswith("python") else ("met" if met else "NOT met"),
                ",".join(map(str, sorted(codes[name]))),
                str(len(cpu[name])),
            ]
        )
    table(
        [
            "command",
            "cpu median ms",
            "cpu best ms",
            "wall median ms",
            "cpu / baseline",
            "<= 150 ms and <= 3x",
            "exit",
            "N",
        ],
        rows,
    )
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
