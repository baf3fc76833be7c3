"""Benchmark: the web UI's pages, rendered server-side, with 10,000 subjects x 5 versions.

    .venv/bin/python bench/bench_ui.py [--subjects 10000] [--versions 5] [--runs 15]

Builds a SQLite registry in a temporary folder straight through the store (bulk inserts of
schemas, versions and their audit events, then the subject summaries rebuilt from them as
migration 0003 does: 50,000 versions in a few seconds, which registering through the API would
take far longer to do): one subject in ten is an AsyncAPI contract
shaped like ``contracts/order_placed.yaml`` (its own title and channel address per subject;
each version adds an optional header), the others JSON Schemas (each version adds an optional
property to a closed object). Then the app (``create_app``) answers each page through
Starlette's in-process test client: the figure is the whole server side of a request (routing,
queries, templates, the response), without a network. One untimed request of each page runs
first (it fills the contract cache, as a running registry has); the diff is also timed cold.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert

import timing
from evreg.contracts.canonical import canonical_json, fingerprint_text
from evreg.registry.app import create_app
from evreg.registry.inputs import identity_fingerprint
from evreg.registry.settings import Settings
from evreg.registry.store import Store, summaries
from evreg.registry.store.tables import AuditEvent, SchemaRow, SubjectVersion, utcnow
from timing import COLUMNS, REPO, measure, table

BUDGET_MS = 150.0


def _asyncapi(n: int, version: int, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    doc["info"]["title"] = f"service {n}"
    doc["info"]["version"] = f"{version}.0.0"
    doc["channels"]["orderPlaced"]["address"] = f"orders-{n}.placed"
    headers = doc["components"]["schemas"]["EventHeaders"]["properties"]
    for extra in range(1, version):
        headers[f"extra{extra}"] = {"type": "string", "description": f"added in v{extra + 1}"}
    return doc


def _json_schema(n: int, version: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"type": "string", "format": "uuid"},
        "at": {"type": "string", "format": "date-time"},
        "amount": {"type": "number", "minimum": 0, "description": f"amount of event {n}"},
    }
    for extra in range(1, version):
        properties[f"field{extra}"] = {"type": "string", "maxLength": 64}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Event{n}",
        "description": f"Event number {n} of the benchmark",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "at"],
        "properties": properties,
    }


def populate(url: str, subjects: int, versions: int) -> tuple[float, dict[str, str]]:
    """Fill the database; returns seconds taken and a few subject names to open."""
    base = yaml.safe_load((REPO / "contracts" / "order_placed.yaml").read_text())
    store = Store(url)
    started = time.perf_counter()
    schema_rows: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    audit_rows: list[dict[str, Any]] = []
    now = utcnow()
    next_id = 1
    for n in range(subjects):
        asyncapi = n % 10 == 0
        subject = f"svc-{n:05d}" if asyncapi else f"events.e{n:05d}-value"
        kind = "ASYNCAPI" if asyncapi else "JSON"
        for version in range(1, versions + 1):
            doc = _asyncapi(n, version, base) if asyncapi else _json_schema(n, version)
            canonical = canonical_json(doc)
            schema_rows.append(
                {
                    "id": next_id,
                    "schema_type": kind,
                    "canonical": canonical,
                    "content_fingerprint": fingerprint_text(canonical),
                    "fingerprint": identity_fingerprint(kind, canonical, []),
                    "created_at": now,
                }
            )
            version_rows.append(
                {
                    "subject": subject,
                    "version": version,
                    "schema_id": next_id,
                    "deleted": False,
                    "created_at": now,
                }
            )
            audit_rows.append(
                {
                    "at": now,
                    "actor": f"token:team-{n % 50}",
                    "action": "schema.register",
                    "subject": subject,
                    "version": version,
                    "schema_id": next_id,
                    "before": None,
                    "after": {"schemaType": kind},
                }
            )
            next_id += 1
    with store.write() as session:
        for table_, rows in (
            (SchemaRow.__table__, schema_rows),  # type: ignore[attr-defined]
            (SubjectVersion.__table__, version_rows),  # type: ignore[attr-defined]
            (AuditEvent.__table__, audit_rows),  # type: ignore[attr-defined]
        ):
            for start in range(0, len(rows), 5000):
                session.execute(insert(table_), rows[start : start + 5000])
        summaries.rebuild(session.connection())  # what the service keeps up on each write
    store.close()
    elapsed = time.perf_counter() - started
    names = {
        "asyncapi": f"svc-{(subjects // 2) // 10 * 10:05d}",
        "json": f"events.e{subjects // 2 + 1:05d}-value",
    }
    return elapsed, names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    timing.header(f"web UI pages, {args.subjects} subjects x {args.versions} versions (SQLite)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        seconds, names = populate(url, args.subjects, args.versions)
        total = args.subjects * args.versions
        print(f"loaded      {total} versions through the store in {seconds:.1f} s\n")
        a, j, v = names["asyncapi"], names["json"], args.versions
        pages = [
            ("subjects, page 1 (by name)", "/ui/"),
            ("subjects, page 100", "/ui/?page=100"),
            ("subjects, by last change desc", "/ui/?sort=changed&order=desc"),
            ("subjects, by level", "/ui/?sort=level"),
            ("search 'OrderPlaced' (1,000 hits)", "/ui/?q=OrderPlaced"),
            ("search 'Event number 4242'", "/ui/?q=Event%20number%204242"),
            ("search, no match", "/ui/?q=nothing-matches-this"),
            ("subject (AsyncAPI)", f"/ui/subjects/{a}"),
            ("subject (JSON)", f"/ui/subjects/{j}"),
            (f"version {v} (AsyncAPI)", f"/ui/subjects/{a}/versions/{v}"),
            (f"version {v} (JSON)", f"/ui/subjects/{j}/versions/{v}"),
            (f"diff v{v - 1} -> v{v} (AsyncAPI)", f"/ui/subjects/{a}/diff"),
            (f"diff v1 -> v{v} (JSON)", f"/ui/subjects/{j}/diff?from=1&to={v}"),
            ("audit log, newest", "/ui/audit"),
            ("audit log, one subject", f"/ui/audit?subject={j}"),
            ("audit log, one actor", "/ui/audit?actor=team-7"),
            ("audit log, no match (full scan)", "/ui/audit?action=mode"),
            ("twin: /api/ui/subjects?q=OrderPlaced", "/api/ui/subjects?q=OrderPlaced"),
        ]
        app = create_app(Settings(database_url=url, log_level="WARNING"))
        rows: list[list[str]] = []
        slowest = 0.0
        with TestClient(app) as client:

            def get(path: str) -> None:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])

            cold_app = create_app(Settings(database_url=url, log_level="WARNING"))
            with TestClient(cold_app) as cold_client:
                started = time.perf_counter()
                cold_client.get(f"/ui/subjects/{a}/diff")
                cold = time.perf_counter() - started
            for label, path in pages:
                get(path)  # untimed: warms the contract cache and SQLite's page cache
                result = measure(lambda p=path: get(p), args.runs)  # type: ignore[misc]
                slowest = max(slowest, result.median)
                rows.append([label, *result.cells()])
            rows.append(
                [f"diff v{v - 1} -> v{v} (AsyncAPI), cold process", timing.ms(cold), "-", "-", "1"]
            )
        table(["page", *COLUMNS], rows)
        verdict = "within" if slowest * 1000 < BUDGET_MS else "OVER"
        print(f"slowest median {slowest * 1000:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget\n")
    timing.footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
