"""Benchmark: the 132 shared Confluent JSON Schema cases, against Karapace and an earlier evreg,
all measured in this run.

    .venv/bin/python bench/bench_compat.py [--runs N] [--cold-runs N] [--karapace DIR]
                                           [--before REV | --no-before]

Each case's ``original_schema`` is the writer (old version), ``update_schema`` the reader (new
version), read as draft-07 where a schema has no ``$schema``, as the Confluent registry reads
them. Figures are CPU time per case (``time.process_time`` of a pass over all cases, divided by
132): the median of ``--runs`` passes after an untimed warm-up pass, the passes of the engines
interleaved so that they share the machine's conditions.

- evreg: ``check_compatibility(old, new, "BACKWARD", "STRICT", witnesses=...)`` on contracts
  loaded beforehand; with ``witnesses=True`` every breaking finding's witness search and the
  semantic guard on compatible verdicts run too. It runs in a child interpreter that imports
  only evreg (``src/`` of this work tree), one pass per request, like the earlier evreg below,
  so that the two are measured alike (in this process, beside Karapace's imports, the same
  code measured ~10% slower).
- Karapace's checker (``../shared/anchors/karapace-compat``, Apache-2.0, see its README):
  ``compatibility(reader=Draft7Validator(new), writer=Draft7Validator(old))`` on validators built
  beforehand. It needs ``jsonschema``, ``networkx`` and ``avro`` (``pip install -e ".[bench]"``).
  It raises ``TypeError`` on some cases (the ``dependencies`` ones): each is caught, counted and
  timed as it ran. Without it the script says why and prints no ratio (never a constant).
- evreg at ``--before`` (default ``9512d3d``, main before issue 14's rules, the guard and this
  benchmark's work): the same passes in a child interpreter importing that commit's ``src/``
  (exported with ``git archive``), one pass per request, interleaved with the passes of this
  process (each timed with its own interpreter's ``process_time``).
- the first pass of a fresh interpreter (``--cold-runs`` of them), contracts loaded.

Needs ``../shared/compat-cases/confluent`` beside the repository.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import timing
from timing import REPO, SHARED, table

CASES_DIR = SHARED / "compat-cases" / "confluent"
KARAPACE_DIR = SHARED / "anchors" / "karapace-compat"
FILES = ("diff-schema-examples.json", "diff-combined-schema-examples.json")
DRAFT7 = "http://json-schema.org/draft-07/schema#"
BEFORE = "9512d3d"


def read_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for name in FILES:
        cases.extend(json.loads((CASES_DIR / name).read_text()))
    return cases


def load_pairs(cases: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """Each case's (original, update) loaded by the evreg on ``sys.path`` (this one or an
    exported one), a schema without ``$schema`` read as draft-07."""
    from evreg import load_contract

    if "default_draft" in inspect.signature(load_contract).parameters:
        pairs = [
            (
                load_contract(c["original_schema"], default_draft=DRAFT7),
                load_contract(c["update_schema"], default_draft=DRAFT7),
            )
            for c in cases
        ]
    else:  # an evreg from before the parameter: the same reading, spelled in each schema

        def draft7(schema: Any) -> Any:
            if isinstance(schema, dict) and "$schema" not in schema:
                return {"$schema": DRAFT7, **schema}
            return schema

        pairs = [
            (load_contract(draft7(c["original_schema"])), load_contract(draft7(c["update_schema"])))
            for c in cases
        ]
    return pairs


def evreg_engine() -> tuple[Callable[[bool], list[bool]], str]:
    """A pass over the cases with the evreg on ``sys.path`` (this one or an exported one)."""
    from evreg import check_compatibility

    pairs = load_pairs(read_cases())

    def one_pass(witnesses: bool) -> list[bool]:
        return [
            check_compatibility(old, new, "BACKWARD", "STRICT", witnesses=witnesses).is_compatible
            for old, new in pairs
        ]

    return one_pass, timing.evreg_source()


def karapace_engine(source: Path) -> tuple[Callable[[], list[bool | None]] | None, str]:
    """A pass of Karapace's checker (None for a case it crashed on), or why it cannot run."""
    if not source.is_dir():
        return None, f"{source} is absent"
    sys.path.insert(0, str(source))
    try:
        from jsonschema import Draft7Validator

        checks = importlib.import_module("karapace.core.compatibility.jsonschema.checks")
    except ImportError as error:
        return None, f"cannot import Karapace's checker from {source}: {error}"
    pairs = [
        (Draft7Validator(c["update_schema"]), Draft7Validator(c["original_schema"]))
        for c in read_cases()
    ]

    def one_pass() -> list[bool | None]:
        out: list[bool | None] = []
        for reader, writer in pairs:
            try:
                result = checks.compatibility(reader=reader, writer=writer)
            except TypeError:  # its known crash on the `dependencies` cases
                out.append(None)
                continue
            out.append(bool(checks.is_compatible(result)))
        return out

    return one_pass, f"Karapace's checker from {source}"


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


# --- child interpreters ---------------------------------------------------------------------


def _child(mode: str, runs: int) -> None:
    """In a child interpreter, ``cold``: the CPU seconds of its first pass, one line of JSON.
    ``serve``: after a warm-up pass of each kind, one pass per
    line read (``off``/``on``), its CPU seconds written back, so that the parent interleaves
    these passes with its own; ``verdicts`` answers the verdicts with witnesses."""
    one_pass, source = evreg_engine()
    if mode == "cold":
        print(json.dumps({"source": source, "on": [cpu(lambda: one_pass(True))]}))
        return
    if mode == "serve":
        one_pass(False)
        one_pass(True)
        print(json.dumps({"source": source}), flush=True)
        for line in sys.stdin:
            asked = line.strip()
            if asked in ("verdicts", "verdicts-off"):
                print(json.dumps(one_pass(asked == "verdicts")), flush=True)
            else:
                print(json.dumps(cpu(partial(one_pass, asked == "on"))), flush=True)
        return


def run_child(mode: str, runs: int, src: Path | None = None) -> dict[str, Any]:
    env_path = [] if src is None else [str(src)]
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ":".join(env_path), "PATH": "/usr/bin:/bin"},
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


class Served:
    """An evreg in a child interpreter (``src`` on its path) running one pass per request, so
    that its passes interleave with this process's and share the machine's conditions."""

    def __init__(self, src: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        )
        self.source: str = self._read()["source"]

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the earlier evreg's interpreter stopped")
        return json.loads(line)

    def ask(self, what: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def export(rev: str, into: Path) -> Path:
    """``rev``'s ``src/`` exported into ``into`` (nothing in the work tree is touched)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%h %cs", rev],
        capture_output=True,
        text=True,
        check=True,
    )
    (into / "COMMIT").write_text(commit.stdout.strip())
    return into / "src"


# --- the report -----------------------------------------------------------------------------


def us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.0f}"


def ratio(base: float, ours: float, needed: float) -> str:
    value = base / ours
    return f"{value:.2f}x ({'met' if value >= needed else 'NOT met'}: >= {needed}x)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed passes per engine")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh interpreters")
    parser.add_argument("--karapace", type=Path, default=KARAPACE_DIR, help="Karapace's source")
    parser.add_argument("--before", default=BEFORE, help="the earlier evreg commit")
    parser.add_argument("--no-before", action="store_true", help="skip the earlier evreg")
    parser.add_argument("--child", choices=("cold", "serve"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.runs)
        return 0
    if not CASES_DIR.is_dir():
        print(f"{CASES_DIR} is absent: the cases live in ../shared beside the repository")
        return 2

    timing.header("Compatibility checks on the 132 Confluent JSON Schema cases, CPU per case")
    cases = read_cases()
    n = len(cases)
    karapace_pass, karapace_source = karapace_engine(args.karapace)
    print(f"baseline    {karapace_source}")

    # interleaved passes: evreg now and the earlier evreg, each in an interpreter of its own
    # importing only evreg (the same code ran ~10% faster there than in this process, which
    # holds Karapace and its imports too), and Karapace's checker in this process
    times: dict[str, list[float]] = {"off": [], "on": [], "karapace": []}
    before: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="evreg-before-") as tmp:
        now = Served(REPO / "src")
        source = now.source
        verdicts = {False: now.ask("verdicts-off"), True: now.ask("verdicts")}
        karapace_verdicts = karapace_pass() if karapace_pass is not None else None
        served = None if args.no_before else Served(export(args.before, Path(tmp)))
        if served is not None:
            before = {"source": served.source, "off": [], "on": []}
        for round_ in range(args.runs):
            # the engines take turns being first (the order of a round measurably matters)
            steps = [("now", "off"), ("now", "on"), ("karapace", ""), ("before", "off")]
            steps.append(("before", "on"))
            for who, mode in steps if round_ % 2 == 0 else steps[::-1]:
                if who == "now":
                    times[mode].append(now.ask(mode))
                elif who == "karapace" and karapace_pass is not None:
                    times["karapace"].append(cpu(karapace_pass))
                elif who == "before" and served is not None and before is not None:
                    before[mode].append(served.ask(mode))
        if served is not None and before is not None:
            before["verdicts"] = served.ask("verdicts")
            served.close()
        now.close()
    cold = [run_child("cold", 1, REPO / "src")["on"][0] for _ in range(args.cold_runs)]

    median = {k: statistics.median(v) for k, v in times.items() if v}
    rows = [
        ["evreg, witnesses=False", us(median["off"], n), source],
        ["evreg, witnesses=True (witness searches and the guard)", us(median["on"], n), source],
    ]
    if cold:
        rows.append(
            [
                "evreg, witnesses=True, first pass of a fresh interpreter (median)",
                us(statistics.median(cold), n),
                source,
            ]
        )
    if karapace_pass is not None:
        rows.append(["Karapace's checker", us(median["karapace"], n), karapace_source])
    if before is not None:
        rows.append(
            [
                "evreg before, witnesses=False",
                us(statistics.median(before["off"]), n),
                before["source"],
            ]
        )
        rows.append(
            [
                "evreg before, witnesses=True",
                us(statistics.median(before["on"]), n),
                before["source"],
            ]
        )
    print(f"CPU per case: median of {args.runs} passes over the {n} cases, after a warm-up pass.\n")
    table(["per case", "cpu us", "source"], rows)

    targets = []
    if karapace_pass is not None:
        targets.append(
            ["Karapace / evreg, witnesses=False", ratio(median["karapace"], median["off"], 3.0)]
        )
        targets.append(
            ["Karapace / evreg, witnesses=True", ratio(median["karapace"], median["on"], 1.5)]
        )
    else:
        targets.append(["Karapace / evreg", f"not measured: {karapace_source}"])
    if before is not None:
        targets.append(
            [
                f"evreg {args.before} / evreg now, witnesses=True",
                ratio(statistics.median(before["on"]), median["on"], 1.0),
            ]
        )
    table(["target (same run)", "ratio"], targets)

    strict_ok = sum(v == c["compatible"] for v, c in zip(verdicts[True], cases, strict=True))
    rows = [
        ["evreg (witnesses=True) vs the cases' 'compatible'", f"{strict_ok}/{n}"],
        [
            "evreg verdicts the same with and without witnesses",
            "yes" if verdicts[False] == verdicts[True] else "no (the guard found a counterexample)",
        ],
    ]
    if karapace_verdicts is not None:
        ran = [(v, c) for v, c in zip(karapace_verdicts, cases, strict=True) if v is not None]
        agree = sum(v == c["compatible"] for v, c in ran)
        rows.append(["Karapace vs the cases' 'compatible'", f"{agree}/{len(ran)} it ran"])
        rows.append(["Karapace crashes (TypeError, counted per case)", str(n - len(ran))])
    if before is not None:
        old_ok = sum(v == c["compatible"] for v, c in zip(before["verdicts"], cases, strict=True))
        rows.append([f"evreg {args.before} vs the cases' 'compatible'", f"{old_ok}/{n}"])
    table(["verdicts (BACKWARD, STRICT)", "agree"], rows)
    timing.footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
