"""The semantic guard (and every witness search) is deterministic: the same pair of schemas gets
the same report, witnesses included, whatever the machine's load, its speed or the process's
string hashing (issue 14: "the bound is fixed").

Fuzzed pairs (``mutate.make_pairs``: realistic schemas with 1-3 edits, many of them compatible,
so that the guard searches), and one pair where the guard finds a counterexample, are checked
in two fresh interpreters and their whole reports compared:

- one with ``PYTHONHASHSEED=1`` and the real clock;
- one with ``PYTHONHASHSEED=2``, its CPU clock running 40 times fast (``time.process_time`` as
  a machine 40 times slower would see it: the guard's CPU-time safety net is read from it), and
  a busy process beside it for real CPU contention.

The guard's bound is counts (points, candidates, events); its CPU-time ceiling is a safety net
that none of these pairs comes near even at 40 times the cost, so the reports must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PAIRS = 120
# the golden case of COUNTEREXAMPLE_FOUND, where the rules accept and the guard finds the event
GUARDED = (
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "allOf": [{"properties": {"a": {}}}],
        "unevaluatedProperties": False,
    },
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "allOf": [{"properties": {"b": {}}}],
        "unevaluatedProperties": False,
    },
)
RUNS = (("BACKWARD", "STRICT"), ("FULL", "LENIENT"))
SLOWER = 40.0


def _reports(repo: Path) -> dict[str, Any]:
    """In a child interpreter: the report of every pair, as JSON-ready dicts, and how many
    checks reached the guard's CPU-time safety net."""
    from evreg import check_compatibility
    from evreg.contracts.compat import check
    from evreg.contracts.compat.guard import GuardBudget

    budgets: list[GuardBudget] = []

    def counted() -> GuardBudget:
        budgets.append(GuardBudget())
        return budgets[-1]

    setattr(check, "GuardBudget", counted)  # noqa: B010 (check_compatibility's budgets)

    sys.path.insert(0, str(repo / "tests"))
    from soundness.corpus import load_seeds
    from soundness.mutate import make_pairs

    shared = repo.parent / "shared"
    seeds = load_seeds(repo, shared if shared.is_dir() else None)
    out: list[Any] = []
    pairs = [(p.old, p.new) for p in make_pairs(seeds, PAIRS, 0)]
    for old, new in [GUARDED, *pairs]:
        for level, policy in RUNS:
            try:
                report = check_compatibility(old, new, level=level, policy=policy)
            except Exception as exc:  # a refusal is a result too: compared like the others
                out.append({"error": f"{type(exc).__name__}: {exc}"})
                continue
            out.append(report.to_dict())
    return {"reports": out, "timed_out": sum(b.timed_out for b in budgets)}


def _child(repo: Path, slower: float) -> None:
    if slower != 1.0:
        real = time.process_time
        start = real()

        def fast_clock() -> float:
            return start + (real() - start) * slower

        time.process_time = fast_clock
    print(json.dumps(_reports(repo), sort_keys=True, default=str))


def _run(repo: Path, hash_seed: str, slower: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, __file__, str(repo), str(slower)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_the_same_pairs_get_the_same_reports_under_load_and_other_hashing(
    repo_root: Path,
) -> None:
    calm_run = _run(repo_root, "1", 1.0)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded_run = _run(repo_root, "2", SLOWER)
    finally:
        busy.kill()
        busy.wait()
    assert calm_run["timed_out"] == loaded_run["timed_out"] == 0, "the safety net was reached"
    calm, loaded = calm_run["reports"], loaded_run["reports"]
    assert len(calm) == len(loaded) == (PAIRS + 1) * len(RUNS)
    compatible = sum(1 for r in calm if r.get("is_compatible") is True)
    guarded = sum(
        1 for r in calm for f in r.get("findings", ()) if f.get("rule") == "COUNTEREXAMPLE_FOUND"
    )
    assert compatible >= len(calm) // 4, "too few compatible verdicts: the guard was hardly run"
    assert guarded >= 1, "the guard found no counterexample: these pairs do not exercise it"
    differ = [
        i for i, (a, b) in enumerate(zip(calm, loaded, strict=True)) if a != b
    ]  # index = pair * len(RUNS) + run
    assert not differ, (
        f"{len(differ)} reports differ (pair, run): "
        f"{[(i // len(RUNS), RUNS[i % len(RUNS)]) for i in differ[:10]]}; "
        f"first: {json.dumps(calm[differ[0]])[:1500]} vs {json.dumps(loaded[differ[0]])[:1500]}"
    )


if __name__ == "__main__":
    _child(Path(sys.argv[1]), float(sys.argv[2]))
