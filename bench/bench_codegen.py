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

- the generated consumer's decode step (``Consumer.decode``: pydantic-core's ``validate_json``
  in strict mode, by alias, which is what runs before a handler; ``evreg.runtime.strict_json``),
  beside the lax decode it did before (which accepts ``"2"`` for an integer) and the
  same decode of a body whose integers are written ``2.0`` (the re-validation path),
- ``orjson.loads`` alone (parsing, no validation),
- ``orjson.loads`` then a prepared ``jsonschema`` validator of the bundled payload schema;

and, to show where the generated decoder's time goes, two rows of pydantic-core alone: its JSON
parser building plain Python values (``validate_json`` to ``Any``: no schema), and the same
models' every field and constraint with plain dicts instead of model objects (the generated
``models.py`` with each ``BaseModel`` turned into a ``TypedDict``). The rest, between that row
and the generated decoder's, is building the model objects (printed: how many per message).

Targets (issue 21): decode at least 10x the jsonschema path and at least 30% of
``orjson.loads`` alone, in CPU time of this process, interleaved rounds
(``--decode-only`` skips the generation part).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import io
import re
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pydantic
from pydantic import BaseModel

import evreg
import timing
from evreg.cli.main import main as evreg_main
from evreg.codegen import (
    SourceContract,
    default_package,
    package_key,
    plan_python,
    read_key,
    subject_for,
    write_package,
)
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
        if read_key(out, package) == package_key([source], "python", package):
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
    """Per round, each decoder in turn on ``count`` messages: CPU seconds per message (this
    process's), by label.

    Interleaving keeps the decoders' figures comparable on a machine whose load changes.
    """
    out: dict[str, list[float]] = {label: [] for label, _, _ in decoders}
    for _ in range(runs):
        for label, fn, count in decoders:
            start = time.process_time()
            for _ in range(count):
                fn(body)
            out[label].append((time.process_time() - start) / count)
    return out


def without_model_objects(models_text: str) -> dict[str, Any]:
    """The generated models module with every ``BaseModel`` a ``TypedDict`` (same fields, same
    constraints; plain dicts come out), executed: its namespace."""
    text = models_text.replace("(BaseModel):", "(TypedDict, total=False):")
    text = re.sub(r"\n    model_config = ConfigDict\([^)]*\)\n", "\n", text)
    text = re.sub(r" = \(\s*MISSING\s*\)", "", text).replace(" = MISSING", "")
    text = "from typing_extensions import TypedDict\n" + text.replace(
        "from __future__ import annotations\n", ""
    )
    module = types.ModuleType("bench_typed_dicts")
    sys.modules[module.__name__] = module  # pydantic resolves the annotations there
    exec(compile(text, module.__name__, "exec"), module.__dict__)
    return module.__dict__


def model_objects(value: object) -> int:
    """How many model instances ``value`` holds, itself included."""
    if isinstance(value, BaseModel):
        return 1 + sum(model_objects(v) for v in value.__dict__.values())
    if isinstance(value, list):
        return sum(model_objects(v) for v in value)
    return 0


def bench_decode(messages: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with contextlib.redirect_stdout(io.StringIO()):
            assert evreg_main(["generate", str(SOURCES[0]), "-o", tmp, "--package", "bench"]) == 0
        sys.path.insert(0, tmp)
        package = importlib.import_module("bench")
        data = orjson.loads((root / "bench" / "contract.json").read_bytes())
        typed_dicts = without_model_objects((root / "bench" / "models.py").read_text())
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

    parse_only = pydantic.TypeAdapter(Any).validator
    no_objects = pydantic.TypeAdapter(typed_dicts["OrderPlaced"]).validator
    no_objects.validate_json(body)
    for bad in (b'"quantity":2', b'"last4":"4242"'):  # a constraint broken: still refused
        assert bad in body, bad
        wrong = body.replace(bad, bad.replace(b"2", b"0", 1).replace(b'"4', b'"x', 1))
        with contextlib.suppress(pydantic.ValidationError):
            no_objects.validate_json(wrong)
            raise AssertionError(f"the TypedDict row accepts {wrong!r}")
    decoded = consumer.decode(spec, delivery)[1]
    print(f"model objects built per message: {model_objects(decoded)}")

    def validate(raw: bytes) -> object:
        instance = orjson.loads(raw)
        validator.validate(instance)
        return instance

    lax = package.models.OrderPlaced.__pydantic_validator__
    coerced = body.replace(b'"quantity":2', b'"quantity":"2"', 1)
    lax.validate_json(coerced, by_alias=True, by_name=False)  # the lax mode's gap
    with contextlib.suppress(pydantic.ValidationError):
        consumer.decode(spec, Delivery(published.subject, coerced, published.headers))
        raise AssertionError("the consumer accepts a string for an integer")
    floats = Delivery(
        published.subject, body.replace(b'"quantity":2', b'"quantity":2.0', 1), published.headers
    )
    assert consumer.decode(spec, floats)[1] == decoded

    def lax_decode(raw: bytes) -> object:
        """The consumer's decode before strict mode (commit 048c046's, one message)."""
        if len(spec.messages) == 1:
            only = spec.messages[0]
            return only, only.payload.__pydantic_validator__.validate_json(
                delivery.body, by_alias=True, by_name=False
            )
        raise AssertionError("one message")

    decoders = [
        (
            "generated consumer decode (pydantic)",
            lambda raw: consumer.decode(spec, delivery),
            messages,
        ),
        ('before: lax decode (accepts "2" for an integer)', lax_decode, messages),
        (
            "pydantic-core validate_json of the model, strict",
            lambda raw: lax.validate_json(raw, strict=True, by_alias=True, by_name=False),
            messages,
        ),
        (
            "pydantic-core validate_json of the model, lax",
            lambda raw: lax.validate_json(raw, by_alias=True, by_name=False),
            messages,
        ),
        (
            "generated consumer decode, a quantity written 2.0",
            lambda raw: consumer.decode(spec, floats),
            messages // 4,
        ),
        ("orjson.loads alone", parse, messages),
        ("pydantic-core JSON parse alone (to Any)", parse_only.validate_json, messages),
        (
            "pydantic-core, same constraints, TypedDicts (no model objects)",
            no_objects.validate_json,
            messages,
        ),
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
            "msgs/CPU-s (median)",
            "CPU us/msg median",
            "CPU us/msg best",
        ],
        rows,
    )
    ours = per_message["generated consumer decode (pydantic)"]
    rounds = range(runs)
    vs_schema = statistics.median(
        per_message["orjson.loads + jsonschema validate"][i] / ours[i] for i in rounds
    )
    vs_orjson = statistics.median(per_message["orjson.loads alone"][i] / ours[i] for i in rounds)
    vs_lax = statistics.median(
        ours[i] / per_message['before: lax decode (accepts "2" for an integer)'][i] for i in rounds
    )
    print(f"decode vs jsonschema path: {vs_schema:.1f}x faster (target >= 10x)")
    print(f"strict decode time / lax decode time (before): {vs_lax:.3f}")
    print(f"decode throughput as a share of orjson.loads alone: {vs_orjson:.0%} (target >= 30%)")
    print("(medians of the per-round ratios)")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs (rounds) per figure")
    parser.add_argument("--messages", type=int, default=20000, help="messages per decode run")
    parser.add_argument("--decode-only", action="store_true", help="skip the generation part")
    args = parser.parse_args()
    timing.header("evreg generate (50 contracts) and generated consumer decode throughput")
    if not args.decode_only:
        bench_generation(args.runs)
    bench_decode(args.messages, args.runs)
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
