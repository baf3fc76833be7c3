"""The soundness fuzzer's seeds: what the corpus gives, and the extra seeds are sound inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import validators

from .corpus import load_seeds

SEEDS = Path(__file__).parent / "seeds"


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.json")), ids=lambda p: p.name)
def test_extra_seed_is_valid_and_accepts_its_examples(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    assert schema["examples"]
    for example in schema["examples"]:
        assert not list(validator.iter_errors(example)), example


def test_corpus_reads_every_source(repo_root: Path) -> None:
    seeds = load_seeds(repo_root, None)
    sources = {s.name.split("#")[0].split(" ")[0] for s in seeds}
    assert "contracts/order_placed.yaml" in sources  # AsyncAPI 3.0
    assert "contracts/customer_registered.schema.json" in sources  # JSON Schema 2020-12
    assert "tests/fixtures/codegen/payments.asyncapi.yaml" in sources  # AsyncAPI 2.6
    assert "tests/soundness/seeds/invoice_issued.schema.json" in sources  # draft-07
    drafts = {s.draft7 for s in seeds}
    assert drafts == {True, False}
    # every seed is standalone: its $refs are local and resolve
    for seed in seeds:
        cls = validators.validator_for(seed.schema, default=validators.Draft202012Validator)
        cls(seed.schema).is_valid({})
