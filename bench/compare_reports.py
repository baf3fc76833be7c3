"""Are the compatibility engine's reports unchanged? The repr of every report of a fixed set of
checks, made by this work tree's ``src/`` and by a baseline's, each in a child interpreter.

    .venv/bin/python bench/compare_reports.py [--against REV | --baseline-src DIR]
                                              [--pairs N] [--show N]

The checks (every one made with and without witnesses):

- the 132 Confluent cases (``../shared/compat-cases/confluent``, read as ``bench_compat.py``
  reads them) at BACKWARD, FORWARD and FULL, STRICT and LENIENT;
- every golden rule case (``tests/golden/rules``) at its own level and at BACKWARD, FORWARD,
  FULL and FULL_TRANSITIVE, its own policy (its direct reader check where it asks for one);
- ``check_pairs`` over each golden history of ``tests/unit/test_check_pairs.py`` (a case's
  earlier versions, its new one, and the earlier versions of the next two cases) at
  FULL_TRANSITIVE, and at BACKWARD_TRANSITIVE keeping only breaking findings, numbered;
- ``--pairs`` (default 1000) pairs of the soundness fuzzer (``tests/soundness``, run seed 0) at
  BACKWARD, FORWARD and FULL, STRICT and LENIENT.

A check that raises gives the exception's type and message as its report. The baseline is
``REV``'s ``src/`` exported with ``git archive`` (default ``main``), or ``--baseline-src``.
Both children run with ``PYTHONHASHSEED=0`` and import the work tree's test helpers; only
``src/`` differs. Printed: how many reports are identical and different, the first ``--show``
differences (default 5; each from 100 characters before where the two first differ), and each
child's CPU time over the checks. Exit status 1 when any report differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from bench_compat import CASES_DIR, export, load_pairs, read_cases
from timing import REPO, SHARED

TESTS = REPO / "tests"
CONFLUENT_LEVELS = ("BACKWARD", "FORWARD", "FULL")
GOLDEN_LEVELS = ("BACKWARD", "FORWARD", "FULL", "FULL_TRANSITIVE")
POLICIES = ("STRICT", "LENIENT")

Check = tuple[str, Callable[[], object]]


def _confluent() -> Iterator[Check]:
    from evreg import check_compatibility

    cases = read_cases()
    for case, (old, new) in zip(cases, load_pairs(cases), strict=True):
        for level in CONFLUENT_LEVELS:
            for policy in POLICIES:
                for witnesses in (False, True):
                    yield (
                        f"confluent {case['description']!r} {level} {policy} w={witnesses}",
                        partial(check_compatibility, old, new, level, policy, witnesses=witnesses),
                    )


def _golden() -> Iterator[Check]:
    from evreg import check_compatibility, load_contract
    from evreg.contracts.compat.check import check_reader
    from golden_cases import read_case

    rules = TESTS / "golden" / "rules"
    for path in sorted(rules.rglob("case.yaml")):
        name = path.parent.relative_to(rules).as_posix()
        case = read_case(path)
        policy = case.get("policy", "STRICT")
        for witnesses in (False, True):
            if case.get("check") == "reader":
                writer, reader = load_contract(case["old"]), load_contract(case["new"])
                yield (
                    f"golden {name} reader {policy} w={witnesses}",
                    partial(check_reader, writer.schema, reader.schema, policy, witnesses),
                )
                continue
            levels = dict.fromkeys([case.get("level", "BACKWARD"), *GOLDEN_LEVELS])
            for level in levels:
                yield (
                    f"golden {name} {level} {policy} w={witnesses}",
                    partial(
                        check_compatibility, case["old"], case["new"], level, policy, witnesses
                    ),
                )


def _histories() -> Iterator[Check]:
    from evreg.contracts.compat.check import check_pairs

    spec = importlib.util.spec_from_file_location(
        "test_check_pairs", TESTS / "unit" / "test_check_pairs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, history, new, policy in module.HISTORIES:
        numbers = list(range(1, len(history) + 1))
        for witnesses in (False, True):
            yield (
                f"pairs {name} FULL_TRANSITIVE {policy.value} w={witnesses}",
                partial(check_pairs, history, new, "FULL_TRANSITIVE", policy, witnesses),
            )
            yield (
                f"pairs {name} BACKWARD_TRANSITIVE breaking_only {policy.value} w={witnesses}",
                partial(
                    check_pairs,
                    history,
                    new,
                    "BACKWARD_TRANSITIVE",
                    policy,
                    witnesses,
                    versions=numbers,
                    breaking_only=True,
                ),
            )


def _fuzzed(count: int) -> Iterator[Check]:
    from evreg import check_compatibility
    from soundness.corpus import load_seeds
    from soundness.mutate import make_pairs

    seeds = load_seeds(REPO, SHARED if SHARED.is_dir() else None)
    for pair in make_pairs(seeds, count, 0):
        for level in CONFLUENT_LEVELS:
            for policy in POLICIES:
                for witnesses in (False, True):
                    yield (
                        f"fuzz {pair.describe()} {level} {policy} w={witnesses}",
                        partial(check_compatibility, pair.old, pair.new, level, policy, witnesses),
                    )


def _child(pairs: int) -> None:
    """In a child interpreter (the evreg to compare first on ``sys.path``): one JSON object,
    the label and repr of every check's report, and the CPU seconds they took."""
    sys.path.insert(0, str(TESTS))
    import evreg

    checks = [*_confluent(), *_golden(), *_histories(), *_fuzzed(pairs)]
    reports: list[tuple[str, str]] = []
    cpu = 0.0
    for label, check in checks:
        start = time.process_time()
        try:
            shown = repr(check())
        except Exception as error:  # a refusal or a crash is that check's outcome
            shown = f"raised {type(error).__name__}: {error}"
        cpu += time.process_time() - start
        reports.append((label, shown))
    json.dump({"source": evreg.__file__, "cpu": cpu, "reports": reports}, sys.stdout)


def _run(src: Path, pairs: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--pairs", str(pairs)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="main", help="the baseline commit (default main)")
    parser.add_argument("--baseline-src", type=Path, help="the baseline's src/ (not --against)")
    parser.add_argument("--pairs", type=int, default=1000, help="soundness fuzzer pairs")
    parser.add_argument("--show", type=int, default=5, help="differences printed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.pairs)
        return 0
    if not CASES_DIR.is_dir():
        print(f"{CASES_DIR} is absent: the cases live in ../shared beside the repository")
        return 2
    with tempfile.TemporaryDirectory(prefix="evreg-baseline-") as tmp:
        if args.baseline_src is not None:
            base_src, base_name = args.baseline_src.resolve(), str(args.baseline_src)
        else:
            base_src = export(args.against, Path(tmp))
            base_name = f"{args.against} ({(Path(tmp) / 'COMMIT').read_text()})"
        base = _run(base_src, args.pairs)
    now = _run(REPO / "src", args.pairs)
    assert [label for label, _ in base["reports"]] == [label for label, _ in now["reports"]]
    different = [
        (label, old, new)
        for (label, old), (_, new) in zip(base["reports"], now["reports"], strict=True)
        if old != new
    ]
    print(f"baseline   {base_name}: {base['source']}, checks {base['cpu']:.1f} s CPU")
    print(f"work tree  {REPO / 'src'}: {now['source']}, checks {now['cpu']:.1f} s CPU")
    total = len(now["reports"])
    print(f"reports: {total - len(different)} identical, {len(different)} different of {total}")
    for label, old, new in different[: args.show]:
        at = next(
            (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
            min(len(old), len(new)),
        )
        start = max(0, at - 100)
        print(f"\n{label}, from character {start}:")
        print(f"  baseline:  {old[start : at + 200]}\n  work tree: {new[start : at + 200]}")
    return 1 if different else 0


if __name__ == "__main__":
    raise SystemExit(main())
