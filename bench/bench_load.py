"""Benchmark: loading the two shared AsyncAPI documents, against plain YAML parsing in the same run.

    .venv/bin/python bench/bench_load.py [--runs N]

For each of ``../shared/contracts/orders.asyncapi.yaml`` and ``payments.asyncapi.yaml`` (read
into memory once), the time of one ``load_contract(text, name=...)``:

- cold: the cache of schemas already checked against their meta-schema is emptied
  (``forget_checked_schemas()``) before each load, so every payload and header schema is checked;
- warm: the same text loaded again, its schemas found in that cache;

and the baseline, ``yaml.load(text, Loader=yaml.CSafeLoader)`` (libyaml's parser, no contract
model, no checks). Also the part of a load that checks the document against the official
AsyncAPI JSON Schema of its version (``asyncapi_spec.spec_errors`` on the parsed document, its
validator already built). One untimed load of each kind runs first.
"""

from __future__ import annotations

import argparse

import yaml

import timing
from evreg import load_contract
from evreg.contracts.asyncapi_spec import spec_errors
from evreg.contracts.jsonschema_doc import forget_checked_schemas
from timing import COLUMNS, SHARED, measure, table

DOCUMENTS = ("orders.asyncapi.yaml", "payments.asyncapi.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed loads per figure")
    args = parser.parse_args()
    folder = SHARED / "contracts"
    if not folder.is_dir():
        print(f"{folder} is absent: the documents live in ../shared beside the repository")
        return 2
    if not hasattr(yaml, "CSafeLoader"):
        print("PyYAML was built without libyaml: yaml.CSafeLoader, the baseline, is missing")
        return 2

    timing.header("evreg load_contract on the shared AsyncAPI documents")
    rows = []
    ratios = []
    for name in DOCUMENTS:
        text = (folder / name).read_text()
        contract = load_contract(text, name=name)
        yaml.load(text, Loader=yaml.CSafeLoader)
        size = f"{len(text.encode()) / 1024:.1f} KiB, {text.count(chr(10))} lines"
        shape = f"{len(contract.channels)} channels, {len(contract.messages)} messages"
        print(f"{name:24}  {size}, {shape}")

        def load(text: str = text, name: str = name) -> object:
            return load_contract(text, name=name)

        def parse(text: str = text) -> object:
            return yaml.load(text, Loader=yaml.CSafeLoader)

        document = yaml.load(text, Loader=yaml.CSafeLoader)
        version = str(document["asyncapi"])[:3]

        def spec(document: object = document, version: str = version) -> object:
            return spec_errors(document, version)

        cold = measure(load, args.runs, before=forget_checked_schemas)
        warm = measure(load, args.runs)
        base = measure(parse, args.runs)
        checked = measure(spec, args.runs)
        rows.append([f"{name}: load_contract, cold", *cold.cells()])
        rows.append([f"{name}: load_contract, warm", *warm.cells()])
        rows.append([f"{name}: yaml.load CSafeLoader", *base.cells()])
        rows.append([f"{name}: of a load, the spec check", *checked.cells()])
        ratios.append(
            [name, f"{cold.median / base.median:.1f}x", f"{warm.median / base.median:.1f}x"]
        )
    print()
    table(["one load", *COLUMNS], rows)
    table(["load_contract / yaml.load (medians)", "cold", "warm"], ratios)
    print(f"(N = {args.runs} loads per row)\n")
    timing.footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
