"""Benchmark: how late an idle asyncio loop wakes up while N threads run Python code (the
interpreter lock's convoy), the situation of ``evreg serve``'s event loop answering ``/health``
while worker threads run compatibility checks (issue 15).

    .venv/bin/python bench/bench_gil_convoy.py [--probes 150] [--threads 0,1,2,4,16]

For each switch interval (CPython's default 5 ms, and 1 ms) and each number of busy threads, the
loop sleeps 20 ms ``--probes`` times and records how much later than asked it woke up: a thread
that released the interpreter lock (the loop, waiting in epoll) must win it back from the busy
threads, which hold it a switch interval at a time. Prints p50, p99 and max of the lateness.
Nothing of evreg runs: it measures the interpreter, to size how many threads may run checks.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time

import timing
from timing import table

SLEEP = 0.020


def spin(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


async def lateness(probes: int) -> list[float]:
    late = []
    for _ in range(probes):
        start = time.perf_counter()
        await asyncio.sleep(SLEEP)
        late.append((time.perf_counter() - start - SLEEP) * 1000)
    return sorted(late)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=150)
    parser.add_argument("--threads", default="0,1,2,4,16")
    args = parser.parse_args()
    timing.header("asyncio loop wake-up lateness while threads run Python code")
    rows = []
    for interval in (0.005, 0.001):
        sys.setswitchinterval(interval)
        for count in (int(n) for n in args.threads.split(",")):
            stop = threading.Event()
            threads = [threading.Thread(target=spin, args=(stop,)) for _ in range(count)]
            for thread in threads:
                thread.start()
            late = asyncio.run(lateness(args.probes))
            stop.set()
            for thread in threads:
                thread.join()
            p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
            rows.append(
                [
                    f"{interval * 1000:.0f} ms",
                    count,
                    f"{statistics.median(late):.1f}",
                    f"{p99:.1f}",
                    f"{late[-1]:.1f}",
                ]
            )
    table(["switch interval", "busy threads", "p50 ms", "p99 ms", "max ms"], rows)
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
