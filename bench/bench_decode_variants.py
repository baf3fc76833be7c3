"""Benchmark: what else the generated consumer's decode could do, each variant side by side.

    .venv/bin/python bench/bench_decode_variants.py [--runs N] [--messages N]
    .venv/bin/python bench/bench_decode_variants.py --only KEY --messages N

Issue 21 asks decode + validate at 30% of ``orjson.loads`` alone (``bench_codegen.py
--decode-only`` measures it). This script measures the ways to get there that keep the generated
API (typed pydantic models), on the same 481-byte ``OrderPlaced`` body, CPU time per message,
all variants interleaved per round, each as a share of ``orjson.loads`` in the same round:

- (a) ``orjson.loads`` then pydantic-core's Python-mode validation (``validate_python``), in lax
  mode: strict JSON semantics would need more checks, so this is a lower bound for that path;
  and Python-mode validation alone, of a dict parsed once before the loop;
- (b) each setting of ``model_config`` that could make model objects cheaper (``frozen``,
  ``revalidate_instances``, ``validate_assignment``, ``extra``, ``strict``,
  ``validate_by_name``), added to every model of the generated ``models.py`` (``defer_build``
  only delays building the validator to its first use: not measured);
- (c) pydantic-core's string cache off or keys only (``cache_strings``);
- (d) the decoder's own call: the consumer's ``decode`` against the pydantic-core call in it;
- (f) the same pydantic-core call on the body with an invoice payment instead of a card
  (``dueDays``, an integer enum: a ``JsonIntEnum``, whose JSON-type check is a Python wrap
  validator, ``evreg.runtime.json_scalars``);
- (e) what a consumer does per message around it: ``BaseConsumer._dispatch`` of the delivery to
  a handler that does nothing (decode, the declared headers, the trace context, the
  ``current_message`` record, the handler's call), without an event loop;

and for scale: the same checks with plain dicts (``TypedDict``s: no model objects) and jiter
(pydantic-core's parser) building plain Python values with no schema.

``--only KEY`` runs one variant ``--messages`` times and times nothing: the figures of a
deterministic instruction count (CPU time on this shared machine moves by 5-10% between
rounds), the difference of two runs divided by N::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/bench_decode_variants.py --only KEY --messages 5000  # and 0
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import types
from collections.abc import Callable
from typing import Any

import orjson
import pydantic
import pydantic_core
from pydantic_core import SchemaValidator

import timing
from bench_codegen import interleaved, without_model_objects
from evreg.runtime import Delivery, InMemoryTransport
from timing import REPO, table

GOLDEN = REPO / "tests" / "golden" / "codegen" / "orders"  # what bench_codegen generates
MODEL_SETTINGS = {
    "frozen": "frozen=True",
    "revalidate_never": "revalidate_instances='never'",
    "no_validate_assignment": "validate_assignment=False",
    "strict": "strict=True",
}


def with_settings(models_text: str, key: str) -> Any:
    """``OrderPlaced`` of the generated models with one setting changed in every model."""
    if key == "no_validate_by_name":
        text = models_text.replace("validate_by_name=True,", "")
    elif key == "extra_ignore":  # Money forbids extra fields: measured, not a candidate
        text = models_text.replace('extra="forbid",', "")
    else:
        text = models_text.replace(
            "model_config = ConfigDict(", f"model_config = ConfigDict({MODEL_SETTINGS[key]},"
        )
    module = types.ModuleType(f"bench_variant_{key}")
    sys.modules[module.__name__] = module  # pydantic resolves the annotations there
    exec(compile(text, module.__name__, "exec"), module.__dict__)
    return module.__dict__["OrderPlaced"]


def variants() -> tuple[dict[str, tuple[str, Callable[[bytes], object]]], bytes]:
    """key -> (label, decoder of one body), and the body."""
    sys.path.insert(0, str(GOLDEN))
    import orders_service  # the golden folder, just put on the path

    models = orders_service.models
    example = orjson.loads((GOLDEN / "orders_service" / "contract.json").read_bytes())
    message = next(m for m in example["messages"] if m["message"] == "OrderPlaced")
    event = models.OrderPlaced.model_validate(message["examples"][0]["payload"], by_alias=True)
    published = asyncio.run(orders_service.Producer(InMemoryTransport()).order_placed(event))
    body = published.body
    consumer = orders_service.Consumer(InMemoryTransport())
    spec = orders_service.consumer._ON_ORDER_PLACED
    delivery = Delivery(published.subject, body, published.headers)

    async def handled(event: object) -> None:
        return None

    consumer.on_order_placed(handled)
    route = consumer._routes[0]

    def dispatch(raw: bytes) -> object:
        step = consumer._dispatch(route, delivery)  # no await inside: one send() runs it
        try:
            step.send(None)
        except StopIteration:
            return route
        raise AssertionError("the dispatch of a valid message awaited something")

    model = models.OrderPlaced.__pydantic_validator__
    schema = models.OrderPlaced.__pydantic_core_schema__
    parsed = orjson.loads(body)
    models_text = (GOLDEN / "orders_service" / "models.py").read_text()
    typed_dicts = pydantic.TypeAdapter(without_model_objects(models_text)["OrderPlaced"]).validator

    def strict(validator: Any) -> Callable[[bytes], object]:
        return lambda raw: validator.validate_json(raw, strict=True, by_alias=True, by_name=False)

    out: dict[str, tuple[str, Callable[[bytes], object]]] = {
        "orjson": ("orjson.loads alone", orjson.loads),
        "decode": ("consumer decode, as generated", lambda raw: consumer.decode(spec, delivery)),
        "dispatch": ("(e) consumer per message: _dispatch, handler no-op", dispatch),
        "validate_json": ("(d) its pydantic-core call alone: validate_json, strict", strict(model)),
        "orjson_python": (
            "(a) orjson.loads + validate_python, lax",
            lambda raw: model.validate_python(orjson.loads(raw), by_alias=True, by_name=False),
        ),
        "python_parsed": (
            "(a) validate_python alone, lax (dict parsed before)",
            lambda raw: model.validate_python(parsed, by_alias=True, by_name=False),
        ),
        "rebuilt": (
            "(c) control: validate_json of a validator rebuilt from the core schema",
            strict(SchemaValidator(schema)),
        ),
        "cache_none": (
            "(c) validate_json, strict, cache_strings=False",
            strict(SchemaValidator(schema, {"cache_strings": False})),
        ),
        "cache_keys": (
            "(c) validate_json, strict, cache_strings='keys'",
            strict(SchemaValidator(schema, {"cache_strings": "keys"})),
        ),
    }
    for key in [*MODEL_SETTINGS, "no_validate_by_name", "extra_ignore"]:
        out[key] = (
            f"(b) every model: {key}",
            strict(with_settings(models_text, key).__pydantic_validator__),
        )
    out["typed_dicts"] = ("same checks, TypedDicts (no model objects)", strict(typed_dicts))
    out["jiter"] = ("jiter to Python values, no schema", pydantic_core.from_json)
    invoice = body.replace(
        b'{"method":"card","last4":"4242"}', b'{"method":"invoice","dueDays":30}', 1
    )
    assert invoice != body
    out["invoice"] = (
        "(f) validate_json, strict, of an invoice payment (JsonIntEnum)",
        lambda raw: model.validate_json(invoice, strict=True, by_alias=True, by_name=False),
    )
    for key, (label, fn) in out.items():  # each decodes the body (an error shows here)
        assert fn(body) is not None, (key, label)
    return out, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds")
    parser.add_argument("--messages", type=int, default=20000, help="messages per round")
    parser.add_argument("--only", help="run this variant --messages times, untimed")
    args = parser.parse_args()
    decoders, body = variants()
    if args.only:
        fn = decoders[args.only][1]
        for _ in range(args.messages):
            fn(body)
        return 0
    timing.header("generated consumer decode: the alternatives, side by side")
    rows = [(label, fn, args.messages) for label, fn in decoders.values()]
    seconds = interleaved(rows, body, args.runs)
    base = seconds["orjson.loads alone"]
    cells = []
    for key, (label, _) in decoders.items():
        median = statistics.median(seconds[label])
        share = statistics.median(b / s for b, s in zip(base, seconds[label], strict=True))
        cells.append(
            [key, label, f"{median * 1e6:.2f}", f"{min(seconds[label]) * 1e6:.2f}", f"{share:.0%}"]
        )
    print(f"OrderPlaced body: {len(body)} bytes; {args.messages} messages per round")
    table(["key", "decoder", "CPU us/msg median", "CPU us/msg best", "share of orjson"], cells)
    print("(share: median of the per-round ratios orjson.loads / decoder; target >= 30%)")
    timing.footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
