"""The soundness fuzzer's fixed-seed run (issue 14 item 4): evreg's verdicts on 2,000 mutated
pairs of realistic schemas, judged by an oracle that is not evreg's code.

Each pair is a seed schema (example contracts, test fixtures, ``../shared/contracts`` when
present) and a mutant of it (1-3 edits), in either order. ``check_compatibility`` gives the
verdict; the fuzzer's own counterexample search (``search.py``, ``values.py``) and
``jsonschema``'s validators (``oracle.py``) judge it:

- no **silent unsound verdict**: a COMPATIBLE verdict (none of whose accepted findings shows a
  confirmed witness) for which the search finds an event valid under the writer and invalid
  under the reader. A failure prints each pair: old, new, the findings, the counterexample;
- no crash, and no refusal of a pair of valid schemas;
- no **false witness**: every witness evreg reports is confirmed by the oracle;
- the run means something: both verdicts are frequent, and the search finds a counterexample
  for nearly every incompatible verdict whose witness the oracle confirmed (a search that
  found nothing would pass the first test vacuously).

Reproduce one pair: ``.venv/bin/python bench/bench_soundness.py --pair INDEX``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .corpus import load_seeds
from .edits import CATALOGUE
from .fuzz import Summary, run, search_power
from .mutate import Pair, make_pairs

RUN_SEED = 0
BUDGET = 60  # candidates per search: the search finds ~98% of known counterexamples with it
RUNS = {("BACKWARD", "STRICT"): 2000, ("FULL", "LENIENT"): 500}
SHOWN = 8  # failing pairs printed in full


@pytest.fixture(scope="module")
def pairs(repo_root: Path) -> list[Pair]:
    shared = repo_root.parent / "shared"
    seeds = load_seeds(repo_root, shared if shared.is_dir() else None)
    assert len(seeds) >= 40, f"only {len(seeds)} seed schemas were found"
    return list(make_pairs(seeds, max(RUNS.values()), RUN_SEED))


@pytest.fixture(scope="module", params=sorted(RUNS), ids=lambda lp: f"{lp[0]}-{lp[1]}")
def summary(request: pytest.FixtureRequest, pairs: list[Pair]) -> Summary:
    level, policy = request.param
    return run(pairs[: RUNS[request.param]], level, policy, BUDGET, RUN_SEED)


def _report(summary: Summary, what: str, title: str) -> str:
    found = summary.select(what)
    classes = summary.classes(what)
    lines = [
        f"{len(found)} {title} among {len(summary.outcomes)} pairs "
        f"({summary.level}, {summary.policy}), by edit set:",
        *(f"  {n} x {' + '.join(key)}" for key, n in classes.most_common()),
        "",
    ]
    lines += [o.explain() + "\n" for o in found[:SHOWN]]
    return "\n".join(lines)


def _fail_on(summary: Summary, what: str, title: str) -> None:
    if summary.select(what):
        pytest.fail(_report(summary, what, title), pytrace=False)


def test_no_silent_unsound_verdict(summary: Summary) -> None:
    _fail_on(summary, "unsound", "silent unsound verdicts")


def test_no_crash_and_no_refusal(summary: Summary) -> None:
    _fail_on(summary, "crash", "crashes")
    refused = [f"{o.pair.describe()}: {o.refused}" for o in summary.select("refused")]
    assert not refused, "valid schemas refused:\n" + "\n".join(refused[:SHOWN])


def test_no_false_witness(summary: Summary) -> None:
    _fail_on(summary, "false_witness", "pairs with a witness the oracle does not confirm")


def test_the_run_means_something(summary: Summary, pairs: list[Pair]) -> None:
    n = len(summary.outcomes)
    assert n == RUNS[(summary.level, summary.policy)]
    assert summary.count("compatible") >= n // 10, summary.lines()
    assert summary.count("incompatible") >= n // 4, summary.lines()
    families = {e.family for p in pairs for e in p.edits}
    assert families == {family for family, _ in CATALOGUE.values()}
    # the search must find what is known to be there (a search finding nothing would make the
    # tests above pass vacuously)
    found, tried = search_power(summary, BUDGET)
    assert found >= 0.9 * tried, f"the search found {found} of {tried} known breaks"
