"""The soundness fuzzer: evreg's verdicts on mutated pairs, judged by an independent oracle.

For each pair (:mod:`mutate`) it asks evreg's public API, ``check_compatibility(old, new,
level, policy)``, and then:

- a **compatible** verdict whose report shows an accepted finding with a witness the oracle
  confirms is *disclosed*: the policy accepts a change that rejects that event (LENIENT's open
  content models, a required property with a default), and says so;
- any other **compatible** verdict is searched for a counterexample in every direction the
  level checks (BACKWARD: writer old, reader new; FORWARD: writer new, reader old; FULL:
  both). One found is a **silent unsound verdict**;
- an **incompatible** verdict is *verified* when one of its breaking findings carries a witness
  that the oracle confirms (valid under that finding's writer, invalid under its reader). Any
  finding whose witness the oracle does not confirm is a **false witness**. Optionally the
  search looks for a counterexample itself where evreg gave none: found, the verdict is right
  and evreg missed its witness; not found, the verdict is *unproven* (maybe over-strict);
- ``ContractError`` is a refusal (counted); any other exception is a **crash**.

Only the public API of evreg is used; the search, the generator and the oracle are this
package's own.
"""

from __future__ import annotations

import random
import statistics
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evreg import ContractError
from evreg.contracts.compat import Report, check_compatibility

from .mutate import Pair
from .oracle import Oracle
from .search import NOTHING, search

DIRECTIONS = {
    "BACKWARD": ("BACKWARD",),
    "FORWARD": ("FORWARD",),
    "FULL": ("BACKWARD", "FORWARD"),
}


def sides(pair: Pair, direction: str) -> tuple[Any, Any]:
    """(writer, reader) of ``pair`` in ``direction``."""
    return (pair.old, pair.new) if direction == "BACKWARD" else (pair.new, pair.old)


@dataclass
class Outcome:
    pair: Pair
    level: str
    policy: str
    compatible: bool | None = None  # None when refused or crashed
    seconds: float = 0.0  # wall time of check_compatibility
    cpu: float = 0.0  # its CPU time
    refused: str | None = None
    crash: str | None = None
    # a silent unsound verdict: (direction, event)
    counterexample: tuple[str, Any] | None = None
    accepted_rules: tuple[str, ...] = ()
    breaking_rules: tuple[str, ...] = ()
    verified: bool = False  # incompatible, and a breaking finding's witness is confirmed
    verified_in: str | None = None  # the direction of (the first) such finding
    # compatible, but an accepted finding carries a confirmed witness: the policy accepts a
    # change that can reject an event, and the report shows that event (not silent)
    disclosed: bool = False
    false_witnesses: list[tuple[str, str, Any]] = field(default_factory=list)  # rule, path, event
    notes: tuple[str, ...] = ()  # witness notes of breaking findings without a witness
    # incompatible without a confirmed witness: did our own search find one?
    searched: tuple[str, Any] | None = None
    search_ran: bool = False

    @property
    def unsound(self) -> bool:
        return self.counterexample is not None

    @property
    def reasoned(self) -> bool:
        """Incompatible without a confirmed witness, and every breaking finding without one
        says why none can exist (the engine's reasons: "no event can show this change: ...",
        or a structural change of an AsyncAPI document), not only that none was found."""
        if self.compatible is not False or self.verified or not self.notes:
            return False
        return all(_REASON in note or _STRUCTURAL in note for note in self.notes)

    @property
    def unproven(self) -> bool:
        failed = self.search_ran and self.searched is None
        return self.compatible is False and not self.verified and failed

    def explain(self) -> str:
        """Everything needed to reproduce and read this outcome."""
        import json

        lines = [
            f"{self.pair.describe()} [{self.level} {self.policy}]",
            f"  old: {json.dumps(self.pair.old, sort_keys=True)}",
            f"  new: {json.dumps(self.pair.new, sort_keys=True)}",
        ]
        if self.crash:
            lines.append(f"  crash: {self.crash}")
        if self.counterexample is not None:
            direction, event = self.counterexample
            writer = "old" if direction == "BACKWARD" else "new"
            reader = "new" if direction == "BACKWARD" else "old"
            lines.append(
                f"  evreg: COMPATIBLE (findings: {', '.join(self.accepted_rules) or 'none'})"
            )
            lines.append(
                f"  counterexample ({direction}: valid under {writer}, invalid under {reader}): "
                f"{json.dumps(event, sort_keys=True)}"
            )
        for rule, path, event in self.false_witnesses:
            lines.append(f"  false witness of {rule} {path}: {json.dumps(event, sort_keys=True)}")
        if self.compatible is False and not self.verified:
            lines.append(f"  evreg: INCOMPATIBLE, no confirmed witness ({'; '.join(self.notes)})")
            lines.append(f"  breaking rules: {', '.join(self.breaking_rules)}")
        return "\n".join(lines)


def check_pair(
    pair: Pair,
    level: str,
    policy: str,
    budget: int,
    run_seed: int = 0,
    search_incompatible: bool = False,
) -> Outcome:
    out = Outcome(pair, level, policy)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        report = check_compatibility(pair.old, pair.new, level=level, policy=policy)
    except ContractError as exc:
        out.refused = str(exc)
        return out
    except Exception:
        out.crash = traceback.format_exc(limit=6)
        return out
    finally:
        out.seconds = time.perf_counter() - wall
        out.cpu = time.process_time() - cpu
    out.compatible = report.is_compatible
    out.accepted_rules = tuple(f.rule for f in report.findings if not f.breaking)
    out.breaking_rules = tuple(f.rule for f in report.breaking)
    oracles = {d: Oracle(*sides(pair, d)) for d in DIRECTIONS[level]}
    _judge_witnesses(out, report, oracles)
    if out.compatible and not out.disclosed:
        for direction, oracle in oracles.items():
            found = _search(pair, direction, oracle, budget, run_seed)
            if found is not NOTHING:
                out.counterexample = (direction, found)
                break
    elif not out.verified and search_incompatible:
        out.search_ran = True
        for direction in sorted({f.direction.value for f in report.breaking}):
            found = _search(pair, direction, oracles[direction], budget, run_seed)
            if found is not NOTHING:
                out.searched = (direction, found)
                break
    return out


def _search(pair: Pair, direction: str, oracle: Oracle, budget: int, run_seed: int) -> Any:
    writer, reader = sides(pair, direction)
    rng = random.Random(f"search/{run_seed}/{pair.index}/{direction}")
    return search(writer, reader, rng, budget, pair.focus, oracle)


def _judge_witnesses(out: Outcome, report: Report, oracles: dict[str, Oracle]) -> None:
    notes = []
    for finding in report.findings:
        oracle = oracles.get(finding.direction.value)
        if not finding.has_witness:
            if finding.breaking and finding.witness_note:
                notes.append(f"{finding.rule}: {finding.witness_note}")
            continue
        if oracle is None or not oracle.proves(finding.witness):
            out.false_witnesses.append((finding.rule, finding.path, finding.witness))
        elif finding.breaking:
            out.verified = True
            out.verified_in = out.verified_in or finding.direction.value
        else:
            out.disclosed = True
    out.notes = tuple(notes)


_REASON = ": no event can show this change"
_STRUCTURAL = ": a structural change of the document"


@dataclass
class Summary:
    level: str
    policy: str
    outcomes: list[Outcome]

    @property
    def checked(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.compatible is not None]

    def count(self, what: str) -> int:
        return len(self.select(what))

    def select(self, what: str) -> list[Outcome]:
        tests = {
            "compatible": lambda o: o.compatible is True,
            "incompatible": lambda o: o.compatible is False,
            "unsound": lambda o: o.unsound,
            "disclosed": lambda o: o.compatible is True and o.disclosed,
            "verified": lambda o: o.compatible is False and o.verified,
            "missed": lambda o: o.compatible is False and not o.verified and o.searched,
            "unproven": lambda o: o.unproven,
            "reasoned": lambda o: o.reasoned,
            "refused": lambda o: o.refused is not None,
            "crash": lambda o: o.crash is not None,
            "false_witness": lambda o: bool(o.false_witnesses),
        }
        return [o for o in self.outcomes if tests[what](o)]

    def verified_share(self) -> float:
        incompatible = self.count("incompatible")
        return self.count("verified") / incompatible if incompatible else 1.0

    def times_ms(self) -> tuple[float, float, float, float]:
        """Median and p95 of the check's wall time, then of its CPU time, in ms."""
        walls = sorted(o.seconds * 1000 for o in self.checked) or [0.0]
        cpus = sorted(o.cpu * 1000 for o in self.checked) or [0.0]
        return (_median(walls), _p95(walls), _median(cpus), _p95(cpus))

    def classes(self, what: str) -> Counter[tuple[str, ...]]:
        """Outcomes of one kind grouped by the edits that made them (a class per edit set)."""
        return Counter(tuple(sorted({e.name for e in o.pair.edits})) for o in self.select(what))

    def lines(self) -> list[str]:
        incompatible = self.count("incompatible")
        reasons = self.count("verified") + self.count("reasoned")
        explained = 100 * reasons / incompatible if incompatible else 100.0
        wall, wall95, cpu, cpu95 = self.times_ms()
        return [
            f"level {self.level}, policy {self.policy}",
            f"pairs                                  {len(self.outcomes)}",
            f"refused by evreg (ContractError)       {self.count('refused')}",
            f"crashes                                {self.count('crash')}",
            f"compatible verdicts                    {self.count('compatible')}",
            f"  accepted with a verified witness     {self.count('disclosed')}",
            f"silent unsound verdicts                {self.count('unsound')}",
            f"incompatible verdicts                  {incompatible}",
            f"  with a verified witness              {self.count('verified')} "
            f"({100 * self.verified_share():.1f}%)",
            f"  no witness, our search found one     {self.count('missed')}",
            f"  no witness, none found (unproven)    {self.count('unproven')}",
            f"  no witness, each finding says why    {self.count('reasoned')}",
            f"  with a witness or a reason           {explained:.1f}%",
            f"findings with a false witness (pairs)  {self.count('false_witness')}",
            f"check time, wall ms: median {wall:.2f}, p95 {wall95:.2f}",
            f"check time, CPU ms:  median {cpu:.2f}, p95 {cpu95:.2f}",
        ]


def search_power(summary: Summary, budget: int, limit: int = 200) -> tuple[int, int]:
    """(found, tried): of the incompatible verdicts whose witness the oracle confirmed (a break
    known to exist), for how many does the search find a counterexample of its own? Without
    this a search that found nothing would make "no silent unsound verdict" pass vacuously."""
    known = summary.select("verified")[:limit]
    found = 0
    for outcome in known:
        assert outcome.verified_in is not None
        writer, reader = sides(outcome.pair, outcome.verified_in)
        rng = random.Random(f"power/{outcome.pair.index}")
        if search(writer, reader, rng, budget, outcome.pair.focus) is not NOTHING:
            found += 1
    return found, len(known)


def _median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def _p95(xs: Sequence[float]) -> float:
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def run(
    pairs: Iterable[Pair],
    level: str,
    policy: str,
    budget: int,
    run_seed: int = 0,
    search_incompatible: bool = False,
) -> Summary:
    outcomes = [check_pair(p, level, policy, budget, run_seed, search_incompatible) for p in pairs]
    return Summary(level, policy, outcomes)
