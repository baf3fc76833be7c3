"""evreg's Avro verdicts against what happens to data: a fixed-seed fuzz run.

For each generated pair (``avro_pairs``: a schema and a mutation of it), evreg judges whether
the mutation (the reader) reads what the original (the writer) wrote. The oracle is not evreg:

- data: 20 random datums of the writer (fastavro's ``generate_many``) written in Avro's binary
  encoding with the writer schema and read back with writer and reader schemas by fastavro
  (``schemaless_writer``/``schemaless_reader``), the library Confluent's Python serializers
  use;
- every witness evreg reports, decoded from its Avro JSON encoding by fastavro's
  ``json_reader`` and read the same way;
- Apache Avro's ``ReaderWriterCompatibilityChecker`` (the Java checker's Python port), as a
  peer verdict.

It asserts: a compatible verdict is never contradicted by data (no datum fails to read, in
either library); every witness fails to read (in fastavro, the registry's clients' library);
an incompatible verdict carries a witness in at least 90% of pairs; and where evreg and Apache
Avro's checker disagree, evreg's side is backed by data (an incompatible verdict by its
witness, a compatible one by every datum reading).
"""

from __future__ import annotations

import io
import json
from typing import Any

import avro.schema
import fastavro
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from fastavro.json_read import json_reader
from fastavro.utils import generate_many

from evreg.contracts.compat import check_compatibility
from evreg.contracts.loader import load_contract
from evreg.contracts.model import ContractKind

from .avro_pairs import pair

PAIRS = 1000
DATA = 20


def _fastavro_reads(writer: Any, reader: Any, datum: Any) -> bool:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer, datum)
    buffer.seek(0)
    try:
        fastavro.schemaless_reader(buffer, writer, reader)
    except Exception:
        return False
    return True


def _parse(document: Any) -> tuple[Any, avro.schema.Schema] | None:
    try:
        return fastavro.parse_schema(document), avro.schema.parse(json.dumps(document))
    except Exception:
        return None


def _decode_witness(writer: Any, witness: Any) -> Any:
    text = io.StringIO(json.dumps(witness))
    return next(iter(json_reader(text, writer)))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    tally: dict[str, Any] = {
        "pairs": 0,
        "compatible": 0,
        "incompatible": 0,
        "witnessed": 0,
        "unsound": [],
        "false_witness": [],
        "peer_disagrees": [],
        "unwitnessed": [],
    }
    for seed in range(PAIRS):
        old, new = pair(seed)
        parsed_old, parsed_new = _parse(old), _parse(new)
        if parsed_old is None or parsed_new is None or old == new:
            continue
        (w_fast, w_apache), (r_fast, r_apache) = parsed_old, parsed_new
        tally["pairs"] += 1
        writer = load_contract(json.dumps(old), kind=ContractKind.AVRO)
        reader = load_contract(json.dumps(new), kind=ContractKind.AVRO)
        report = check_compatibility(writer, reader, "BACKWARD")
        data = list(generate_many(w_fast, DATA))
        fast_ok = all(_fastavro_reads(w_fast, r_fast, d) for d in data)
        peer = ReaderWriterCompatibilityChecker().get_compatibility(r_apache, w_apache)
        peer_ok = peer.compatibility is SchemaCompatibilityType.compatible
        case = {"seed": seed, "old": old, "new": new}
        if report.is_compatible:
            tally["compatible"] += 1
            if not fast_ok:
                tally["unsound"].append(case)
            if not peer_ok:
                tally["peer_disagrees"].append({**case, "evreg": "compatible", "data": fast_ok})
            continue
        tally["incompatible"] += 1
        witnessed = False
        for finding in report.breaking:
            if finding.has_witness:
                datum = _decode_witness(w_fast, finding.witness)
                if _fastavro_reads(w_fast, r_fast, datum):
                    tally["false_witness"].append({**case, "finding": finding.to_dict()})
                else:
                    witnessed = True
        tally["witnessed"] += witnessed
        if not witnessed:
            tally["unwitnessed"].append({**case, "rules": [f.rule for f in report.breaking]})
        if peer_ok:
            tally["peer_disagrees"].append({**case, "evreg": "incompatible", "proof": witnessed})
    return tally


def test_enough_pairs_of_both_verdicts(outcomes: dict[str, Any]) -> None:
    assert outcomes["pairs"] >= PAIRS * 0.8
    assert outcomes["compatible"] >= 50 and outcomes["incompatible"] >= 50


def test_no_compatible_verdict_is_contradicted_by_data(outcomes: dict[str, Any]) -> None:
    assert outcomes["unsound"] == []


def test_every_witness_fails_to_read(outcomes: dict[str, Any]) -> None:
    assert outcomes["false_witness"] == []


def test_incompatible_verdicts_carry_a_witness(outcomes: dict[str, Any]) -> None:
    share = outcomes["witnessed"] / outcomes["incompatible"]
    assert share >= 0.9, (share, outcomes["unwitnessed"][:5])


def test_disagreements_with_apache_avro_are_backed_by_data(outcomes: dict[str, Any]) -> None:
    unbacked = [
        d
        for d in outcomes["peer_disagrees"]
        if (d["evreg"] == "incompatible" and not d["proof"])
        or (d["evreg"] == "compatible" and not d["data"])
    ]
    assert unbacked == []
