"""Soundness fuzzer, long run: evreg's verdicts on mutated pairs against an independent oracle.

    .venv/bin/python bench/bench_soundness.py [--pairs N] [--budget N] [--seed N]
        [--level BACKWARD|FORWARD|FULL ...] [--policy STRICT|LENIENT ...]
        [--show N] [--shrink] [--pair INDEX]

Pairs are seed schemas from the example contracts, ``tests/fixtures``, ``tests/soundness/seeds``
and ``../shared/contracts`` (when present), each mutated with 1-3 random edits, in both
directions (``tests/soundness``). For each level and policy asked for (default BACKWARD and
STRICT), every pair is checked with ``evreg.check_compatibility`` and judged by the fuzzer's own
search and ``jsonschema``'s validators. Printed: pairs, compatible verdicts (and those accepted
with a verified witness), silent unsound verdicts, incompatible verdicts with a verified witness
(count and %), those without one where our search found a counterexample or none (unproven:
maybe over-strict), pairs with a false witness, crashes, the median and p95 time of
``check_compatibility`` (wall and CPU), the search's power (for how many incompatible verdicts
with a verified witness it finds a counterexample of its own, up to 500), then the classes (edit
sets) of silent unsound and unproven verdicts and the first ``--show`` of each in full.
``--shrink`` shrinks one silent unsound pair per class; ``--pair I`` checks pair ``I`` alone and
prints all of it.

The test suite runs the same fuzzer on fewer pairs (tests/soundness/test_soundness_fuzz.py).
"""

from __future__ import annotations

import argparse
import sys
import time

from timing import REPO, SHARED, footer, header

sys.path.insert(0, str(REPO / "tests"))

from soundness.corpus import load_seeds
from soundness.fuzz import Summary, check_pair, run, search_power
from soundness.mutate import corpus_patterns, make_pair, make_pairs
from soundness.shrink import shrink_unsound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--budget", type=int, default=200, help="candidates per search")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", action="append", choices=("BACKWARD", "FORWARD", "FULL"))
    parser.add_argument("--policy", action="append", choices=("STRICT", "LENIENT"))
    parser.add_argument("--show", type=int, default=3, help="outcomes printed in full per kind")
    parser.add_argument("--shrink", action="store_true", help="shrink one unsound pair per class")
    parser.add_argument("--pair", type=int, help="check this pair alone, in detail")
    args = parser.parse_args()
    levels = args.level or ["BACKWARD"]
    policies = args.policy or ["STRICT"]
    shared = SHARED if SHARED.is_dir() else None
    seeds = load_seeds(REPO, shared)

    if args.pair is not None:
        pair = make_pair(seeds, args.pair, args.seed, corpus_patterns(seeds))
        for level in levels:
            for policy in policies:
                out = check_pair(pair, level, policy, args.budget, args.seed, True)
                print(out.explain())
                print(f"  compatible={out.compatible} disclosed={out.disclosed}")
        return

    header("Soundness fuzzer")
    print(f"seeds       {len(seeds)} schemas ({'with' if shared else 'without'} ../shared)")
    print(f"pairs       {args.pairs}, run seed {args.seed}, {args.budget} candidates per search")
    print()
    start = time.process_time()
    pairs = list(make_pairs(seeds, args.pairs, args.seed))
    print(f"pairs made in {time.process_time() - start:.1f} s CPU\n")
    for level in levels:
        for policy in policies:
            start = time.process_time()
            summary = run(pairs, level, policy, args.budget, args.seed, True)
            print("\n".join(summary.lines()))
            print(f"run CPU time                           {time.process_time() - start:.1f} s")
            found, tried = search_power(summary, args.budget, 500)
            share = f"{100 * found / tried:.1f}%" if tried else "-"
            print(f"search power: counterexample found for {found} of {tried} verified")
            print(f"  incompatible verdicts ({share})")
            print()
            report_classes(summary, args.show, args.shrink)
    footer()


def report_classes(summary: Summary, show: int, shrink: bool) -> None:
    for what, title in (
        ("crash", "crashes"),
        ("unsound", "silent unsound verdicts, by edit set"),
        ("false_witness", "false witnesses, by edit set"),
        ("unproven", "incompatible verdicts without any witness, by edit set"),
    ):
        classes = summary.classes(what)
        if not classes:
            continue
        print(f"## {title}: {sum(classes.values())} in {len(classes)} classes")
        for key, count in classes.most_common():
            print(f"  {count:5d}  {' + '.join(key)}")
        print()
        shown: set[tuple[str, ...]] = set()
        for outcome in summary.select(what):
            key = tuple(sorted({e.name for e in outcome.pair.edits}))
            if key in shown or len(shown) >= show:
                continue
            shown.add(key)
            if shrink and what == "unsound":
                outcome = shrink_unsound(outcome)
                print("(shrunk)")
            print(outcome.explain())
            print()


if __name__ == "__main__":
    main()
