"""Benchmark: code generation for 50 contracts, and a generated consumer's decode throughput.

    .venv/bin/python bench/bench_codegen.py [--runs N] [--messages N]

Generation: 50 distinct contracts (the two shared AsyncAPI documents and the repository's
contracts, each under 10 different titles and addresses), one package each, by the steps
``evreg generate PATH -o OUT`` runs (load, input key, plan, write), without the CLI's own
start-up (about 50 ms per invocation: typer building the command tree, printed separately):

- cold: into an empty folder, datamodel-code-generator already imported and warmed by one
  untimed run (its first call in a process costs about a second more, shown separately);
- cached: the same 50 again: each run loads its contract, computes the key of its inputs
  (fingerprints, evreg version, options) and finds it in the package's ``.evreg-generate``, so
  nothing is planned or written.

Throughput: the body a generated producer publishes for the shared ``OrderPlaced`` example,
decoded N times by

- the generated consumer's decode step (``Consumer.decode``: pydantic's ``model_validate_json``
  by alias, which is what runs before a handler),
- ``orjson.loads`` alone (parsing, no validation),
- ``orjson.loads`` then a prepared ``jsonschema`` validator of the bundled payload schema.

Targets: decode at least 10x the jsonschema path and at least 25% of ``orjson.loads`` alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jsonschema
import orjson

import evreg
import timing
from evreg.cli.main import main as evreg_main
from evreg.codegen import SourceContract, plan_python, read_key, subject_for, write_package
from evreg.codegen.plan import default_package, input_key
from evreg.runtime import Delivery, InMemoryTransport
from timing import COLUMNS, REPO, measure, table

SOURCES = [
    REPO / "tests" / "fixtures" / "codegen" / "orders.asyncapi.yaml",
    REPO / "tests" / "fixtures" / "codegen" / "payments.asyncapi.yaml",
    REPO / "contracts" / "order_placed.yaml",
    REPO / "contracts" / "payment_events.yaml",
    REPO / "contracts" / "shipment_events.yaml",
]


def contracts(folder: Path, count: int) -> list[Path]:
    """``count`` distinct contract files: each source under several titles and addresses."""
    out = []
    for i in range(count):
        source = SOURCES[i % len(SOURCES)]
        text = source.read_text().replace("title: ", f"title: v{i} ", 1)
        text = text.replace("orders.placed", f"orders{i}.placed")
        path = folder / f"c{i:02d}_{source.name}"
        path.write_text(text)
        out.append(path)
    return out


def generate_all(paths: list[Path], out: Path) -> None:
    """What ``evreg generate PATH -o OUT`` does for each path, without the CLI's start-up."""
    for path in paths:
        contract = evreg.load_contract(path.read_text(encoding="utf-8"), name=path.name)
        source = SourceContract(contract, path.name, subject_for(path.name, contract.document))
        package = default_package([source])
        if read_key(out, package) == input_key([source], package):
            continue
        write_package(plan_python([source], package=package), out)


def bench_generation(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = contracts(root, 50)
        first = time.perf_counter()
        generate_all(paths[:1], root / "warm")
        first_call = time.perf_counter() - first
        counter = iter(range(10**6))
        state: dict[str, Path] = {}

        def fresh() -> None:
            state["out"] = root / f"cold{next(counter)}"

        cold = measure(lambda: generate_all(paths, state["out"]), runs, before=fresh)
        cached = measure(lambda: generate_all(paths, state["out"]), runs)
    print(
        f"first generate in this process (imports, generator warm-up): {timing.ms(first_call)} ms"
    )
    table(
        ["50 contracts -> 50 packages", *COLUMNS, "per contract ms"],
        [
            ["cold (empty folder)", *cold.cells(), timing.ms(cold.median / 50)],
            ["cached (unchanged inputs)", *cached.cells(), timing.ms(cached.median / 50)],
        ],
    )


def interleaved(
    decoders: list[tuple[str, Any, int]], body: bytes, runs: int
) -> dict[str, list[float]]:
    """Per round, each decoder in turn on ``count`` messages: seconds per message, by label.

    Interleaving keeps the decoders' figures comparable on a machine whose load changes.
    """
    out: dict[str, list[float]] = {label: [] for label, _, _ in decoders}
    for _ in range(runs):
        for label, fn, count in decoders:
            start = time.perf_counter()
            for _ in range(count):
                fn(body)
            out[label].append((time.perf_counter() - start) / count)
    return out


def bench_decode(messages: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with contextlib.redirect_stdout(io.StringIO()):
            assert evreg_main(["generate", str(SOURCES[0]), "-o", tmp, "--package", "bench"]) == 0
        sys.path.insert(0, tmp)
        package = importlib.import_module("bench")
        data = orjson.loads((root / "bench" / "contract.json").read_bytes())
    message = next(m for m in data["messages"] if m["message"] == "OrderPlaced")
    event = package.models.OrderPlaced.model_validate(
        message["examples"][0]["payload"], by_alias=True, by_name=False
    )
    published = asyncio.run(package.Producer(InMemoryTransport()).order_placed(event))
    body = published.body
    consumer = package.Consumer(InMemoryTransport())
    spec = package.consumer._ON_ORDER_PLACED
    delivery = Delivery(published.subject, body, published.headers)
    schema = message["payloadSchema"]
    validator = jsonschema.validators.validator_for(schema)(schema)

    def parse(raw: bytes) -> object:
        return orjson.loads(raw)

    def validate(raw: bytes) -> object:
        instance = orjson.loads(raw)
        validator.validate(instance)
        return instance

    decoders = [
        (
            "generated consumer decode (pydantic)",
            lambda raw: consumer.decode(spec, delivery),
            messages,
        ),
        ("orjson.loads alone", parse, messages),
        ("orjson.loads + jsonschema validate", validate, max(messages // 50, 20)),
    ]
    print(f"OrderPlaced body: {len(body)} bytes; {messages} messages per round (jsonschema: fewer)")
    per_message = interleaved(decoders, body, runs)
    rows = []
    for label, seconds in per_message.items():
        median = statistics.median(seconds)
        rows.append(
            [label, f"{1 / median:,.0f}", f"{median * 1e6:.2f}", f"{min(seconds) * 1e6:.2f}"]
        )
    table(
        [
            "decoder",
            "msgs/s (median)",
            "us/msg median",
            "us/msg best",
        ],
        rows,
    )
    ours = per_message["generated consumer decode (pydantic)"]
    rounds = range(runs)
    vs_schema = statistics.median(
        per_message["orjson.loads + jsonschema validate"][i] / ours[i] for i in rounds
    )
    vs_orjson = statistics.median(per_message["orjson.loads alone"][i] / ours[i] for i in rounds)
    print(f"decode vs jsonschema path: {vs_schema:.1f}x faster (target >= 10x)")
    print(f"decode throughput as a share of orjson.loads alone: {vs_orjson:.0%} (target >= 25%)")
    print("(medians of the per-round ratios)")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs (rounds) per figure")
    parser.add_argument("--messages", type=int, default=20000, help="messages per decode run")
    args = parser.parse_args()
    timing.header("evreg generate (50 contracts) and generated consumer decode throughput")
    bench_generation(args.runs)
    bench_decode(args.messages, args.runs)
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
