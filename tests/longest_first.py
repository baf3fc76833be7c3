"""Start the suite's longest tests first, one long block per xdist worker at a time.

``--dist worksteal`` (the README's command) gives worker *k* of *W* the *k*-th contiguous
share of the collected tests; a worker runs its share from the front, and an idle worker takes
the *tail* of the longest queue. A long test in the middle of a share therefore starts late,
and in collection order the longest ones (the schemathesis CLI parts, in
``tests/integration/registry``) sat two thirds into the first worker's share: in a whole run
they started after ~70% of its wall time and two workers ran them one after the other while
the other two sat idle for the last ~300 s (2026-12-08, see docs/performance.md, "Fifth pass").

``order`` puts the blocks of ``LONGEST`` at the front of the workers' shares, longest first,
each block in the share with the least work so far (longest processing time first), and the
other tests after them in their collection order, so each share keeps its size (xdist's
split of N tests: ``remaining // workers_left`` each, in worker order). The other tests,
short ones, are what stealing balances at the end. A block is every test whose node id starts
with its prefix, kept together where they share module-scoped fixtures (a server, a build).
The seconds are only weights: each block's wall time in one whole run (under load; only their
ratios matter). Nothing is skipped or added; any other ``--dist`` mode, or no xdist, keeps the
collection order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

CLI = "tests/integration/registry/test_schemathesis_cli.py::test_schemathesis_cli_passes_against"
IN_PROCESS = "tests/integration/registry/test_schemathesis.py::test_"

LONGEST: dict[str, float] = {
    f"{CLI}_a_live_server[postgresql-coverage]": 234,
    f"{CLI}_a_live_server[sqlite-coverage]": 201,
    f"{CLI}_a_live_server[postgresql-fuzzing-stateful]": 151,
    f"{CLI}_a_live_server[sqlite-fuzzing-stateful]": 143,
    "tests/soundness/test_soundness_fuzz.py": 183,  # one module fixture: the fuzzer's run
    "tests/integration/test_codegen_package_env.py": 137,
    "tests/integration/registry/test_confluent_cases_http.py": 123,
    "tests/integration/test_asyncapi_corpus.py": 120,
    "tests/integration/test_codegen_quality.py": 113,
    "tests/integration/nodejs/test_typescript_packages.py": 99,  # one `tsc -b` fixture
    "tests/integration/test_cli_check_cache.py": 98,
    "tests/integration/brokers/test_groups_under_kill.py": 89,
    f"{IN_PROCESS}api_conforms_to_its_openapi_document[postgresql]": 81,
    f"{IN_PROCESS}api_conforms_to_its_openapi_document[sqlite]": 79,
    f"{IN_PROCESS}refusals_by_auth_are_documented[postgresql]": 79,
    f"{IN_PROCESS}refusals_by_auth_are_documented[sqlite]": 61,
    f"{IN_PROCESS}stateful_phase[postgresql]": 68,
    f"{IN_PROCESS}stateful_phase[sqlite]": 58,
    "tests/integration/test_readme_quickstart.py": 70,
}


def shares(count: int, workers: int) -> list[int]:
    """The sizes of xdist worksteal's first split of ``count`` tests over ``workers``."""
    sizes = []
    for k in range(workers):
        sizes.append(count // (workers - k))
        count -= sizes[-1]
    return sizes


def order(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    blocks: dict[str, list[pytest.Item]] = {prefix: [] for prefix in LONGEST}
    rest: list[pytest.Item] = []
    for item in items:
        prefix = next((p for p in LONGEST if item.nodeid.startswith(p)), None)
        (blocks[prefix] if prefix is not None else rest).append(item)
    fronts: list[list[pytest.Item]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for prefix in sorted(LONGEST, key=lambda p: -LONGEST[p]):
        if blocks[prefix]:
            k = load.index(min(load))
            fronts[k] += blocks[prefix]
            load[k] += LONGEST[prefix]
    sizes = shares(len(items), workers)
    if any(len(front) > size for front, size in zip(fronts, sizes, strict=True)):
        return items  # more workers than this suite has room for: keep the collection order
    out: list[pytest.Item] = []
    for front, size in zip(fronts, sizes, strict=True):
        fill = size - len(front)
        out += front + rest[:fill]
        del rest[:fill]
    return out


def reorder(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In each xdist worker under ``--dist worksteal``: ``items[:] = order(items, workers)``
    (every worker computes the same order, as xdist requires). Workers run with ``--dist no``
    themselves: the controller's mode comes in ``workerinput`` (``pass_dist`` below)."""
    workerinput = getattr(config, "workerinput", {})
    workers = int(workerinput.get("workercount", 0))
    if workers > 1 and workerinput.get(DIST) == "worksteal":
        items[:] = order(items, workers)


DIST = "evreg_dist"  # the controller's --dist mode, in each worker's workerinput


def pass_dist(node: Any) -> None:
    """In the controller (pytest-xdist's ``pytest_configure_node``): tell the worker the mode."""
    node.workerinput[DIST] = node.config.option.dist
