"""Benchmark: check the 132 shared Confluent JSON Schema cases, against a baseline in the same run.

    .venv/bin/python bench/bench_compat.py [--runs N] [--cold-runs N] [--karapace-src DIR]

Each case's ``original_schema`` is the writer (old version), ``update_schema`` the reader (new
version); schemas without ``$schema`` are given draft-07's, the Confluent default the cases rely
on. The contracts are loaded with ``load_contract`` up front; loading is timed on its own.

Figures printed, per case (a pass over all 132 cases divided by 132), median and best of N passes:

- loading the two contracts of a case, cold (schema-check cache emptied before each pass) and warm;
- ``check_compatibility(old, new, "BACKWARD", "STRICT")`` with ``witnesses=False`` and ``True``,
  in this process after one untimed warm-up pass, and the first pass of fresh interpreters
  (``--cold-runs`` of them), which is what a new process pays for schemas it has not seen;
- the baseline: Karapace's JSON Schema checker
  (``karapace.compatibility.jsonschema.checks.compatibility(reader, writer)`` on
  ``Draft7Validator`` objects) when it can be imported; otherwise the reason is printed and the
  issue's reference figure (0.45 ms per case on this machine) stands in for it;
- verdict agreement with the cases, evreg's next to the baseline's.

Needs ``../shared/compat-cases/confluent`` beside the repository.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import timing
from evreg import Contract, check_compatibility, load_contract
from evreg.contracts.jsonschema_doc import forget_checked_schemas
from timing import COLUMNS, SHARED, Timing, measure, ms, table

CASES_DIR = SHARED / "compat-cases" / "confluent"
FILES = ("diff-schema-examples.json", "diff-combined-schema-examples.json")
DRAFT7 = "http://json-schema.org/draft-07/schema#"

#: The issue's figure for Karapace on these cases on this machine, used when it cannot run here.
REFERENCE_MS = 0.45
#: The issue's figure for the baseline's verdict agreement with the cases.
REFERENCE_AGREEMENT = "~78% (issue's figure, not measured here)"

KARAPACE_MODULES = (
    "karapace.compatibility.jsonschema.checks",
    "karapace.core.compatibility.jsonschema.checks",
)


def _draft7(schema: Any) -> Any:
    if isinstance(schema, dict) and "$schema" not in schema:
        return {"$schema": DRAFT7, **schema}
    return schema


def read_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for name in FILES:
        cases.extend(json.loads((CASES_DIR / name).read_text()))
    return cases


def load_pairs(cases: list[dict[str, Any]]) -> list[tuple[Contract, Contract]]:
    return [
        (load_contract(_draft7(c["original_schema"])), load_contract(_draft7(c["update_schema"])))
        for c in cases
    ]


def check_all(pairs: list[tuple[Contract, Contract]], witnesses: bool) -> list[bool]:
    return [
        check_compatibility(old, new, "BACKWARD", "STRICT", witnesses=witnesses).is_compatible
        for old, new in pairs
    ]


# --- the baseline -------------------------------------------------------------------------------


def karapace_checker() -> tuple[Callable[[Any, Any], bool] | None, str]:
    """Karapace's ``compatibility(reader, writer)`` as a verdict function, or why it is missing."""
    problems = []
    for module_name in KARAPACE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            problems.append(f"import {module_name}: {error}")
            continue

        def verdict(reader: Any, writer: Any, compatibility: Any = module.compatibility) -> bool:
            result = compatibility(reader, writer)
            kind = result.compatibility
            return str(getattr(kind, "value", kind)).rsplit(".", 1)[-1].lower() == "compatible"

        return verdict, module_name
    return None, "; ".join(problems)


def run_karapace(
    cases: list[dict[str, Any]], verdict: Callable[[Any, Any], bool], runs: int
) -> tuple[Timing, int]:
    from jsonschema import Draft7Validator

    # Karapace parses every JSON schema into a Draft7Validator; done up front, as evreg's loading.
    pairs = [
        (Draft7Validator(c["update_schema"]), Draft7Validator(c["original_schema"])) for c in cases
    ]

    def one_pass() -> list[bool]:
        return [verdict(reader, writer) for reader, writer in pairs]

    verdicts = one_pass()  # warm-up, and the verdicts
    agree = sum(v == c["compatible"] for v, c in zip(verdicts, cases, strict=True))
    return measure(one_pass, runs).scaled(len(cases)), agree


# --- cold processes -----------------------------------------------------------------------------


def _one_cold_pass(witnesses: bool) -> None:
    """In a fresh interpreter: load the contracts (untimed), time the first pass (wall, cpu)."""
    cases = read_cases()
    pairs = load_pairs(cases)
    start, start_cpu = time.perf_counter(), time.process_time()
    check_all(pairs, witnesses)
    print(time.perf_counter() - start, time.process_time() - start_cpu)


def cold_passes(witnesses: bool, runs: int, n: int) -> Timing:
    wall, cpu = [], []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--one-cold-pass", "on" if witnesses else "off"],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, cpu_seconds = done.stdout.split()
        wall.append(float(seconds))
        cpu.append(float(cpu_seconds))
    return Timing(tuple(wall), tuple(cpu)).scaled(n)


# --- the report ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed passes per figure")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters per mode")
    parser.add_argument("--karapace-src", type=Path, help="a Karapace source tree to import")
    parser.add_argument("--one-cold-pass", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_cold_pass:
        _one_cold_pass(args.one_cold_pass == "on")
        return 0
    if not CASES_DIR.is_dir():
        print(f"{CASES_DIR} is absent: the cases live in ../shared beside the repository")
        return 2
    if args.karapace_src:
        sys.path.insert(0, str(args.karapace_src.resolve()))

    timing.header("evreg check_compatibility on the 132 Confluent JSON Schema cases")
    cases = read_cases()
    n = len(cases)
    runs = args.runs

    # Loading, measured on its own.
    load_cold = measure(lambda: load_pairs(cases), runs, before=forget_checked_schemas)
    load_warm = measure(lambda: load_pairs(cases), runs)
    pairs = load_pairs(cases)

    # Checking: one untimed warm-up pass per mode, then the timed passes.
    results: dict[bool, list[bool]] = {}
    steady: dict[bool, Timing] = {}
    for witnesses in (False, True):
        results[witnesses] = check_all(pairs, witnesses)
        steady[witnesses] = measure(lambda w=witnesses: check_all(pairs, w), runs).scaled(n)
    cold = {w: cold_passes(w, args.cold_runs, n) for w in (False, True)}

    # Per-case costs with witnesses: the slowest cases.
    per_case: list[list[float]] = [[] for _ in cases]
    for _ in range(5):
        for i, (old, new) in enumerate(pairs):
            start = time.perf_counter()
            check_compatibility(old, new, "BACKWARD", "STRICT", witnesses=True)
            per_case[i].append(time.perf_counter() - start)
    slowest = sorted(range(n), key=lambda i: statistics.median(per_case[i]), reverse=True)[:5]

    # The baseline.
    verdict, where = karapace_checker()
    if verdict is not None:
        base, base_agree = run_karapace(cases, verdict, runs)
        base_label = f"Karapace ({where}), in this process"
        base_cells = base.cells()
        base_median, base_best, base_cpu = base.median, base.best, base.cpu_median or 0.0
        base_agreement = f"{base_agree}/{n} ({100 * base_agree / n:.1f}%)"
    else:
        print(f"baseline    Karapace could not be imported here: {where}")
        print(f"            using the issue's reference figure, {REFERENCE_MS} ms per case\n")
        base_label = "Karapace, issue's reference figure (not run here)"
        base_cells = [f"{REFERENCE_MS:.3f}", "-", "-", "-"]
        base_median = base_best = base_cpu = REFERENCE_MS / 1000
        base_agreement = REFERENCE_AGREEMENT

    print(f"Per case (ms): a pass over all {n} cases / {n}; median and best of the passes.")
    print("'pre-loaded' = after one untimed warm-up pass in this process;")
    print("'first pass' = the first pass of a fresh interpreter, contracts already loaded.\n")
    rows = [
        ["load_contract x2, cold (schema-check cache emptied)", *load_cold.scaled(n).cells()],
        ["load_contract x2, warm", *load_warm.scaled(n).cells()],
        ["evreg check, witnesses=False, pre-loaded", *steady[False].cells()],
        ["evreg check, witnesses=True, pre-loaded", *steady[True].cells()],
        ["evreg check, witnesses=False, first pass", *cold[False].cells()],
        ["evreg check, witnesses=True, first pass", *cold[True].cells()],
        [f"baseline: {base_label}", *base_cells],
    ]
    table(["per case", *COLUMNS], rows)

    strict_ok = sum(r == c["compatible"] for r, c in zip(results[False], cases, strict=True))
    same = results[False] == results[True]
    lenient_cases = [(c, p) for c, p in zip(cases, pairs, strict=True) if "compatible_lenient" in c]
    lenient_ok = sum(
        check_compatibility(p[0], p[1], "BACKWARD", "LENIENT", witnesses=False).is_compatible
        == c["compatible_lenient"]
        for c, p in lenient_cases
    )
    table(
        ["verdict agreement with the cases (BACKWARD)", "agree"],
        [
            [
                "evreg STRICT vs 'compatible'",
                f"{strict_ok}/{n} ({100 * strict_ok / n:.1f}%)",
            ],
            [
                "evreg LENIENT vs 'compatible_lenient' (where given)",
                f"{lenient_ok}/{len(lenient_cases)}",
            ],
            ["evreg verdicts identical with and without witnesses", "yes" if same else "NO"],
            ["baseline vs 'compatible'", base_agreement],
        ],
    )

    table(
        ["slowest cases with witnesses=True", "median ms"],
        [
            [f"#{i} {cases[i]['description'][:60]}", ms(statistics.median(per_case[i]))]
            for i in slowest
        ],
    )

    target_rows = []
    for witnesses, needed, label in (
        (False, 3.0, "witnesses=False at least 3x faster"),
        (True, 1.0, "witnesses=True no slower"),
    ):
        t = steady[witnesses]
        cpu = t.cpu_median
        assert cpu is not None
        target_rows.append(
            [
                label,
                _ratio(base_median / t.median, needed),
                _ratio(base_best / t.best, needed),
                _ratio(base_cpu / cpu, needed),
            ]
        )
    table(
        ["target: baseline time / evreg time", "by median", "by best", "by cpu median"],
        target_rows,
    )
    if verdict is None:
        print("(evreg pre-loaded. The reference figure is one number, so every column divides")
        print(f" {REFERENCE_MS} ms by evreg's median, best or cpu median respectively.)\n")
    timing.footer()
    return 0


def _ratio(speedup: float, needed: float) -> str:
    return f"{speedup:.2f}x {'met' if speedup >= needed else 'NOT met'}"


if __name__ == "__main__":
    raise SystemExit(main())
