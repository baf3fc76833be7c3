"""Benchmark: a 300-property schema checked BACKWARD_TRANSITIVE against up to 200 earlier versions.

    .venv/bin/python bench/bench_transitive.py [--runs N] [--versions 1,10,50,200]

The schema (JSON Schema 2020-12, generated here, closed content models throughout) has 300
top-level properties: every 10th an object with 10 nested properties, and strings with
``maxLength``, enums, integers with bounds, arrays with ``maxItems``, ``$ref``s to ``$defs``
(a money object, an array item object). Version 1 is that schema; each later version is one
small compatible evolution of the one before (in turn: an optional property added to the
closed top-level model, a ``maxLength`` increased, an enum extended, an optional property added
to a nested closed object, a ``maximum`` increased, a ``maxItems`` increased, the ``$defs``
currency enum extended, a nested ``maxLength`` increased). So every earlier version is compatible
with the newest one, and each pair's diff walks the whole schema.

The newest version (201) is checked against its K most recent predecessors, for each K of
``--versions``, with ``witnesses=False`` and ``witnesses=True`` (which finds nothing: every
change is compatible). Contracts are loaded up front; loading one version is timed separately.

A control follows: the newest version against K separately loaded copies of version 200 (one
change from it each), so that every pair costs the same.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

import timing
from evreg import Contract, check_compatibility, load_contract
from evreg.contracts.jsonschema_doc import forget_checked_schemas
from timing import COLUMNS, Timing, measure, ms, table

DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
PROPERTIES = 300
EARLIER = 200


def _nested(i: int) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for j in range(10):
        name = f"n{j}"
        kind = j % 5
        if kind == 0:
            props[name] = {"type": "string", "maxLength": 40}
        elif kind == 1:
            props[name] = {"type": "integer", "minimum": 0, "maximum": 100}
        elif kind == 2:
            props[name] = {"enum": ["low", "medium", "high"]}
        elif kind == 3:
            props[name] = {"type": "boolean"}
        else:
            props[name] = {"type": "array", "items": {"type": "string"}, "maxItems": 5}
    return {
        "type": "object",
        "description": f"group {i}",
        "properties": props,
        "required": ["n0", "n1"],
        "additionalProperties": False,
    }


def first_version() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for i in range(PROPERTIES):
        name = f"p{i:03d}"
        kind = i % 10
        if kind == 0:
            props[name] = _nested(i)
        elif kind == 1:
            props[name] = {"type": "string", "maxLength": 20}
        elif kind == 2:
            props[name] = {"enum": ["a", "b", "c"]}
        elif kind == 3:
            props[name] = {"type": "array", "items": {"type": "string"}, "maxItems": 10}
        elif kind == 4:
            props[name] = {"$ref": "#/$defs/money"}
        elif kind == 5:
            props[name] = {"type": "integer", "minimum": 0, "maximum": 1000}
        elif kind == 6:
            props[name] = {"type": "number", "minimum": 0}
        elif kind == 7:
            props[name] = {"type": "boolean"}
        elif kind == 8:
            props[name] = {"type": "string", "format": "date-time"}
        else:
            props[name] = {"type": "array", "items": {"$ref": "#/$defs/item"}, "maxItems": 50}
    return {
        "$schema": DRAFT2020,
        "title": "Big",
        "type": "object",
        "properties": props,
        "required": [f"p{i:03d}" for i in range(0, PROPERTIES, 3)],
        "additionalProperties": False,
        "$defs": {
            "money": {
                "type": "object",
                "properties": {
                    "amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"},
                    "currency": {"enum": ["EUR", "USD"]},
                },
                "required": ["amount", "currency"],
                "additionalProperties": False,
            },
            "item": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "maxLength": 32},
                    "quantity": {"type": "integer", "minimum": 1},
                },
                "required": ["sku"],
                "additionalProperties": False,
            },
        },
    }


def evolve(previous: dict[str, Any], step: int) -> dict[str, Any]:
    """Version ``step + 1``: one compatible change to ``previous`` (a widening, for BACKWARD)."""
    schema = copy.deepcopy(previous)
    props = schema["properties"]
    slot = (step // 8) % 30  # which of the 30 properties of a kind this step touches
    kind = step % 8
    if kind == 0:
        props[f"x{step:03d}"] = {"type": "string", "maxLength": 10}
    elif kind == 1:
        props[f"p{slot * 10 + 1:03d}"]["maxLength"] += 5
    elif kind == 2:
        props[f"p{slot * 10 + 2:03d}"]["enum"].append(f"v{step}")
    elif kind == 3:
        props[f"p{slot * 10:03d}"]["properties"][f"added{step}"] = {"type": "integer"}
    elif kind == 4:
        props[f"p{slot * 10 + 5:03d}"]["maximum"] += 100
    elif kind == 5:
        props[f"p{slot * 10 + 3:03d}"]["maxItems"] += 1
    elif kind == 6:
        schema["$defs"]["money"]["properties"]["currency"]["enum"].append(f"C{step:02d}")
    else:
        props[f"p{slot * 10:03d}"]["properties"]["n0"]["maxLength"] += 1
    return schema


def versions(count: int) -> list[dict[str, Any]]:
    out = [first_version()]
    for step in range(1, count):
        out.append(evolve(out[-1], step))
    return out


def _verdict(seconds: float) -> str:
    return f"{ms(seconds)} ms {'met' if seconds < 1 else 'NOT met'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed checks per figure")
    parser.add_argument("--versions", default="1,10,50,200", help="history sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(k) for k in args.versions.split(",")]
    if max(sizes) > EARLIER:
        parser.error(f"at most {EARLIER} earlier versions")

    timing.header("evreg BACKWARD_TRANSITIVE check of a 300-property schema")
    documents = versions(EARLIER + 1)
    newest_doc = documents[-1]
    nested = sum(1 for p in newest_doc["properties"].values() if p.get("type") == "object")
    print(
        f"schema      {len(newest_doc['properties'])} top-level properties in version "
        f"{EARLIER + 1} ({PROPERTIES} in version 1), {nested} nested objects, "
        f"{len(newest_doc['$defs'])} $defs"
    )

    load_cold = measure(lambda: load_contract(newest_doc), args.runs, before=forget_checked_schemas)
    load_warm = measure(lambda: load_contract(newest_doc), args.runs)
    contracts: list[Contract] = [load_contract(d) for d in documents]
    history, newest = contracts[:-1], contracts[-1]
    print()
    table(
        ["loading one version (load_contract)", *COLUMNS],
        [
            ["cold (schema-check cache emptied)", *load_cold.cells()],
            ["warm", *load_warm.cells()],
        ],
    )

    rows = []
    per_version: dict[bool, dict[int, Timing]] = {False: {}, True: {}}
    for witnesses in (False, True):
        for k in sizes:
            earlier = history[-k:]

            def check(earlier: list[Contract] = earlier, witnesses: bool = witnesses) -> Any:
                return check_compatibility(
                    earlier, newest, "BACKWARD_TRANSITIVE", "STRICT", witnesses=witnesses
                )

            report = check()  # untimed warm-up, and the figures of the report
            t = measure(check, args.runs)
            per_version[witnesses][k] = t.scaled(k)
            findings = len(report.findings)
            found = sum(f.has_witness for f in report.findings)
            rows.append(
                [
                    f"witnesses={witnesses}, {k} earlier",
                    *t.cells(),
                    ms(t.median / k),
                    ms((t.cpu_median or 0) / k),
                    "yes" if report.is_compatible else "NO",
                    findings,
                    found,
                ]
            )
    table(
        [
            "check (newest vs K earlier)",
            *COLUMNS,
            "ms/version",
            "cpu ms/version",
            "compat",
            "findings",
            "witnesses",
        ],
        rows,
    )
    print("'findings' are the accepted (non-breaking) changes reported across all pairs.\n")

    # Control: K earlier versions all one change away from the newest (separately loaded copies
    # of version 200), so every pair costs the same; shows the per-version cost without the
    # growth that comes from older versions having more changes to report.
    copies = [load_contract(documents[-2]) for _ in range(max(sizes))]
    control_rows = []
    for k in sizes:

        def same(earlier: list[Contract] = copies[:k]) -> Any:
            return check_compatibility(
                earlier, newest, "BACKWARD_TRANSITIVE", "STRICT", witnesses=False
            )

        report = same()
        t = measure(same, args.runs)
        control_rows.append(
            [
                f"{k} copies of version {EARLIER}",
                *t.cells(),
                ms(t.median / k),
                ms((t.cpu_median or 0) / k),
                len(report.findings),
            ]
        )
    table(
        [
            "control, witnesses=False",
            *COLUMNS,
            "ms/version",
            "cpu ms/version",
            "findings",
        ],
        control_rows,
    )

    largest = max(sizes)
    base = min((k for k in sizes if k >= 10), default=min(sizes))
    target_rows = []
    for witnesses in (False, True):
        top, low = per_version[witnesses][largest], per_version[witnesses][base]
        top_cpu, low_cpu = top.cpu_median or 0.0, low.cpu_median or 1.0
        target_rows.append(
            [
                f"witnesses={witnesses}",
                _verdict(top.median * largest),
                _verdict(top_cpu * largest),
                f"{top.median / low.median:.2f}",
                f"{top_cpu / low_cpu:.2f}",
            ]
        )
    table(
        [
            f"target: {largest} versions under 1 s",
            "median",
            "cpu median",
            f"per-version cost {largest} / {base}",
            "same, by cpu",
        ],
        target_rows,
    )
    print("(a per-version cost ratio near 1.0 means the total cost is linear in versions)\n")
    timing.footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
