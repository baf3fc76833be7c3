"""Where the test suite's wall time goes across xdist workers (docs/performance.md, "Fifth pass").

As a pytest plugin, each worker writes one line per test to ``$SUITE_TIMELINE/<worker>.log``:
its start and end (epoch seconds) and the CPU the worker used meanwhile (its own and that of
the child processes it waited for), plus when the worker started and finished collecting::

    SUITE_TIMELINE=/tmp/timeline PYTHONPATH=bench .venv/bin/python -m pytest -q -n auto \\
        --dist worksteal -p suite_timeline

Then ``python bench/suite_timeline.py /tmp/timeline`` prints, per worker, when it collected,
when it ended and the CPU of its tests; the longest tests with their worker and start; and the
tests still running in the run's last ``--tail`` seconds (the critical path).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from typing import Any

_started: dict[str, tuple[float, float]] = {}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _write(line: str) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:  # the controller sees every test's hooks too: only workers write
        return
    folder = Path(os.environ.get("SUITE_TIMELINE", "suite-timeline"))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{worker}.log").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def pytest_sessionstart(session: Any) -> None:
    _write(f"START {time.time():.3f} {_cpu():.3f}")


def pytest_collection_finish(session: Any) -> None:
    _write(f"COLLECTED {time.time():.3f} {_cpu():.3f} {len(session.items)}")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _started[nodeid] = (time.time(), _cpu())


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    start, cpu = _started.pop(nodeid, (time.time(), _cpu()))
    _write(f"TEST {start:.3f} {time.time():.3f} {_cpu() - cpu:.3f} {nodeid}")


def report(folder: Path, longest: int, tail: float) -> None:
    tests: list[tuple[str, float, float, float, str]] = []
    marks: dict[str, dict[str, float]] = {}
    for log in sorted(folder.glob("gw*.log")):
        worker = log.stem
        for line in log.read_text(encoding="utf-8").splitlines():
            kind, *fields = line.split(" ", 4)
            if kind == "TEST":
                start, end, cpu, nodeid = fields
                tests.append((worker, float(start), float(end), float(cpu), nodeid))
            else:
                marks.setdefault(worker, {})[kind] = float(fields[0])
    t0 = min(m["START"] for m in marks.values())
    end = max(t[2] for t in tests)
    print(f"run: {end - t0:.1f} s from the first worker's start to the last test's end")
    for worker in sorted(marks):
        mine = [t for t in tests if t[0] == worker]
        print(
            f"{worker}: collected at {marks[worker]['COLLECTED'] - t0:6.1f} s, "
            f"last test ended at {max((t[2] for t in mine), default=t0) - t0:6.1f} s, "
            f"{len(mine)} tests, their CPU {sum(t[3] for t in mine):6.1f} s"
        )

    def row(t: tuple[str, float, float, float, str]) -> str:
        return f"{t[0]} {t[1] - t0:7.1f} {t[2] - t0:7.1f} {t[2] - t[1]:6.1f} {t[3]:6.1f}  {t[4]}"

    print(f"\nthe {longest} longest (worker, start, end, wall, CPU, test):")
    for t in sorted(tests, key=lambda t: t[1] - t[2])[:longest]:
        print(row(t))
    print(f"\nrunning in the last {tail:.0f} s, over 1 s of wall:")
    for t in sorted(tests, key=lambda t: t[1]):
        if t[2] > end - tail and t[2] - t[1] > 1:
            print(row(t))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--longest", type=int, default=20)
    parser.add_argument("--tail", type=float, default=120.0)
    args = parser.parse_args()
    report(args.folder, args.longest, args.tail)
