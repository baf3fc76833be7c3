"""The Confluent registry's own JSON Schema compatibility cases (../shared/compat-cases), over
HTTP on the Confluent API exactly as the file has them: no ``$schema`` added, so the registry
reads them as draft-07 as Confluent does (``EVREG_DEFAULT_JSON_SCHEMA_DRAFT``). Each case's
original and update schemas register, and the verdict of a registration (409 or not), of
``POST /compatibility/...`` (STRICT, and LENIENT where the case gives one) is the file's, except
where evreg proves Confluent's verdict wrong (``confluent_cases.DIFFERENCES``, with its witness)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from confluent_cases import expected

from .conftest import Server

CASES_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "compat-cases" / "confluent"
FILES = ("diff-schema-examples.json", "diff-combined-schema-examples.json")


def _cases() -> list[dict[str, Any]]:
    if not CASES_DIR.is_dir():
        return []
    return [case for name in FILES for case in json.loads((CASES_DIR / name).read_text())]


CASES = _cases()


@pytest.mark.skipif(not CASES, reason=f"{CASES_DIR} is absent (../shared beside the clone)")
def test_every_confluent_case_registers_and_gets_the_files_verdict(server: Server) -> None:
    assert len(CASES) == 104 + 28
    wrong: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def body(schema: Any) -> dict[str, Any]:
            # exactly as the file has it: no $schema added where it has none
            return {"schemaType": "JSON", "schema": json.dumps(schema)}

        for i, case in enumerate(CASES):
            subject = f"case-{i}-{uuid.uuid4().hex[:8]}"
            first = http.post(f"/subjects/{subject}/versions", json=body(case["original_schema"]))
            alone = http.post(f"/subjects/{subject}-u/versions", json=body(case["update_schema"]))
            assert first.status_code == 200, (case["description"], first.text)
            assert alone.status_code == 200, (case["description"], alone.text)
            test = http.post(
                f"/compatibility/subjects/{subject}/versions/latest",
                json=body(case["update_schema"]),
            )
            if test.json()["is_compatible"] != expected(case, "compatible"):
                wrong.append(f"STRICT {case['description']}")
            if "compatible_lenient" in case:
                http.put(f"/config/{subject}", json={"compatibilityPolicy": "LENIENT"})
                lenient = http.post(
                    f"/compatibility/subjects/{subject}/versions/latest",
                    json=body(case["update_schema"]),
                )
                if lenient.json()["is_compatible"] != expected(case, "compatible_lenient"):
                    wrong.append(f"LENIENT {case['description']}")
                http.delete(f"/config/{subject}")
            registered = http.post(
                f"/subjects/{subject}/versions", json=body(case["update_schema"])
            )
            if registered.status_code != (200 if expected(case, "compatible") else 409):
                wrong.append(f"register {registered.status_code} {case['description']}")
    assert wrong == []
