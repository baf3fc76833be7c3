"""Shared helpers of the benchmark scripts: repeated timing, machine facts, plain-text tables.

Not a test module: the scripts in this folder import it as ``timing`` (they run with
``bench/`` as their first ``sys.path`` entry).
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@dataclass(frozen=True)
class Timing:
    """``runs`` wall-clock durations of one operation, in seconds, and its CPU times.

    The CPU time (``time.process_time``, this process only) is less sensitive than the wall
    clock to other work on the machine, though a busy machine still slows it (shared caches).
    """

    runs: tuple[float, ...]
    cpu: tuple[float, ...] = ()

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    def scaled(self, factor: float) -> Timing:
        """The same runs divided by ``factor`` (a pass over 132 cases -> per case)."""
        return Timing(tuple(r / factor for r in self.runs), tuple(c / factor for c in self.cpu))

    def cells(self) -> list[str]:
        """Median, best, CPU median (ms) and N, as table cells."""
        cpu = self.cpu_median
        return [ms(self.median), ms(self.best), "-" if cpu is None else ms(cpu), str(self.n)]


#: The table columns matching :meth:`Timing.cells`.
COLUMNS = ("median ms", "best ms", "cpu median ms", "N")


def measure(
    fn: Callable[[], object], runs: int, before: Callable[[], object] | None = None
) -> Timing:
    """Call ``fn`` ``runs`` times; ``before`` (untimed) runs ahead of each call."""
    wall, cpu = [], []
    for _ in range(runs):
        if before is not None:
            before()
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Timing(tuple(wall), tuple(cpu))


def ms(seconds: float) -> str:
    value = seconds * 1000
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def evreg_source() -> str:
    """Which evreg the figures are of: the work tree's (commit, dirty or not) or an export."""
    import evreg

    src = Path(evreg.__file__).resolve().parents[1]
    if src == REPO / "src":
        commit = _git("log", "-1", "--format=%h %cs") or "unknown commit"
        dirty = _git("status", "--porcelain", "--", "src")
        return f"work tree, commit {commit}" + (
            " plus uncommitted changes under src/" if dirty else " (src/ clean)"
        )
    marker = src.parent / "COMMIT"
    if marker.is_file():
        return f"commit {marker.read_text().strip()} (exported to {src})"
    return f"imported from {src}"


def header(title: str) -> None:
    """Print what the figures depend on: date, machine, interpreter, commit, load average."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# {title}")
    print(f"date        {now}")
    print(f"machine     {os.cpu_count()} cores, {_cpu()}, {platform.system()}")
    print(f"python      {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"evreg       {evreg_source()}")
    print(f"load avg    {load()} (1, 5, 15 min) at start")
    print()


def footer() -> None:
    print(f"load avg    {load()} (1, 5, 15 min) at end")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A left-aligned first column, right-aligned others, a dashed rule under the headers."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    print()
