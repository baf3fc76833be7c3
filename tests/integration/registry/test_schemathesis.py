"""Property-based tests of the whole HTTP API from its OpenAPI document (schemathesis).

Every response must be documented (status, content type, body schema) and no input may cause a
server error. The app runs in process (ASGI) on a fresh SQLite file and a fresh PostgreSQL
database; each API operation gets its own hypothesis run. The token routes run on an app that
requires tokens, with an admin token; every operation runs again on such an app without a token
and with a read token (401 and 403 must be documented). Then the stateful phase chains
operations along OpenAPI links (a registered subject's name, its versions, the schema id a
registration returns, fed to the routes that take them), with the same checks.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import allow_header_conformance
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance, use_after_free
from sqlalchemy import text
from sqlmodel import SQLModel

from evreg.registry.app import create_app
from evreg.registry.settings import Settings
from evreg.registry.store import id_watch

from .conftest import BACKENDS, new_database

MAX_EXAMPLES = 25
AUTH_EXAMPLES = 8  # per operation, in each of the two runs with tokens required
STATEFUL_EXAMPLES = 30  # scenarios in the stateful phase
STATEFUL_STEPS = 10  # calls per scenario


# schemathesis's defaults, explicitly: left to itself it would read the schemathesis.toml of
# the folder pytest runs from (the repository's, written for the CLI run in
# test_schemathesis_cli.py), and a setting there must not change what these suites check.
# A new one per schema: the stateful test changes its schema's configuration.
def _config() -> SchemathesisConfig:
    return SchemathesisConfig()


# OPTIONS on paths shared by several methods is answered by the framework.
# A schema-valid body can still carry an invalid schema text (42201): OpenAPI cannot say what a
# valid JSON Schema or AsyncAPI document is, so "valid data accepted" does not hold for this API
# by design.
EXCLUDED_CHECKS = [allow_header_conformance, positive_data_acceptance]
# The stateful phase also excludes "deleted resource still available": a soft delete (the
# Confluent API's default DELETE) keeps the version readable with `?deleted=true`, by design;
# the check takes any 200 after a DELETE as a failure. (A permanent delete's 404s are tested in
# test_api_http.py.)
STATEFUL_EXCLUDED_CHECKS = [*EXCLUDED_CHECKS, use_after_free]
ADMIN = "evreg_schemathesis-admin-token-0123456789abcdef"
# Operations whose body carries a schema text. In the stateful phase their generated bodies (in
# positive cases) are replaced by one of a few real schemas: a generated string is never a valid
# JSON Schema, so no registration would succeed and no chain would reach a subject, a version or
# a schema id.
SCHEMA_BODIES = {
    ("POST", "/subjects/{subject}/versions"),
    ("POST", "/subjects/{subject}"),
    ("POST", "/compatibility/subjects/{subject}/versions"),
    ("POST", "/compatibility/subjects/{subject}/versions/{version}"),
    ("POST", "/api/subjects/{subject}/check"),
}
SCHEMAS = [
    json.dumps({"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(n)}})
    for n in range(3)
]


def _ref(method: str, path: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


_SUBJECT = {"path.subject": "$request.path.subject"}
_LATEST = {**_SUBJECT, "path.version": "latest"}
_ID = {"path.schema_id": "$response.body#/id"}
# Links between operations, added to the document for the stateful phase (only there):
# schemathesis's own inference guesses wrong for this API (it feeds a registration's schema
# `id` to `{version}`, and they are different numbers), so it is switched off.
LINKS: dict[tuple[str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("post", "/subjects/{subject}/versions"): [
        ("get", "/subjects/{subject}/versions", _SUBJECT),
        ("get", "/subjects/{subject}/versions/{version}", _LATEST),
        ("get", "/subjects/{subject}/versions/{version}/schema", _LATEST),
        ("get", "/subjects/{subject}/versions/{version}/referencedby", _LATEST),
        ("delete", "/subjects/{subject}/versions/{version}", _LATEST),
        ("delete", "/subjects/{subject}", _SUBJECT),
        ("post", "/subjects/{subject}", _SUBJECT),
        ("post", "/subjects/{subject}/versions", _SUBJECT),
        ("post", "/compatibility/subjects/{subject}/versions", _SUBJECT),
        ("post", "/compatibility/subjects/{subject}/versions/{version}", _LATEST),
        ("post", "/api/subjects/{subject}/check", _SUBJECT),
        ("get", "/api/subjects/{subject}/diff", _SUBJECT),
        ("get", "/api/ui/subjects/{subject}", _SUBJECT),
        ("get", "/api/ui/subjects/{subject}/versions/{version}", _LATEST),
        ("get", "/config/{subject}", _SUBJECT),
        ("put", "/config/{subject}", _SUBJECT),
        ("get", "/schemas/ids/{schema_id}", _ID),
        ("get", "/schemas/ids/{schema_id}/schema", _ID),
        ("get", "/schemas/ids/{schema_id}/subjects", _ID),
        ("get", "/schemas/ids/{schema_id}/versions", _ID),
    ],
    ("get", "/subjects/{subject}/versions"): [
        (
            "get",
            "/subjects/{subject}/versions/{version}",
            {**_SUBJECT, "path.version": "$response.body#/0"},
        ),
    ],
    ("delete", "/subjects/{subject}"): [
        ("get", "/subjects/{subject}/versions", {**_SUBJECT, "query.deleted": "true"}),
        ("delete", "/subjects/{subject}", {**_SUBJECT, "query.permanent": "true"}),
    ],
    ("delete", "/subjects/{subject}/versions/{version}"): [
        (
            "delete",
            "/subjects/{subject}/versions/{version}",
            {**_SUBJECT, "path.version": "$request.path.version", "query.permanent": "true"},
        ),
    ],
}


@pytest.fixture(scope="module", params=BACKENDS)
def database_for_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with new_database(request.param, tmp_path_factory.mktemp("schemathesis")) as url:
        yield url


@pytest.fixture  # one app per test: schemathesis ends the app's lifespan after each test
def app(database_for_api: str) -> Iterator[Any]:
    app = create_app(Settings(database_url=database_for_api, max_body_bytes=64 * 1024))
    yield app
    app.state.service.store.close()


# The SSE stream waits up to its `wait` (30 s) for new entries, a cost for nothing here: the CLI
# run (test_schemathesis_cli.py) covers it against the document, and its events have their own
# test in test_api_evreg.py; token routes would switch the app to authenticated writes
# halfway through the run (they run on an app of their own below).
def _untokened(schema: Any) -> Any:
    return schema.exclude(path="/api/audit/stream").exclude(path_regex="^/api/tokens")


@pytest.fixture
def api_schema(app: Any) -> Any:
    return _untokened(schemathesis.openapi.from_asgi("/openapi.json", app, config=_config()))


def _each_operation(schema: Any, examples: int = MAX_EXAMPLES, **call: Any) -> list[str]:
    """Run every operation of ``schema``; the failures, one text each."""
    failures: list[str] = []
    for operation in [result.ok() for result in schema.get_all_operations()]:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            # reasons: EXCLUDED_CHECKS
            case.call_and_validate(excluded_checks=EXCLUDED_CHECKS, **call)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_api_conforms_to_its_openapi_document(api_schema: Any) -> None:
    assert len(list(api_schema.get_all_operations())) > 30
    failures = _each_operation(api_schema)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("backend", BACKENDS)
def test_token_routes_conform_to_the_document(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:  # its own: tokens change who may write
        app = create_app(Settings(database_url=url, auth="required", bootstrap_token=ADMIN))
        try:
            schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config()).include(
                path_regex="^/api/tokens"
            )
            assert len(list(schema.get_all_operations())) == 3
            failures = _each_operation(schema, headers={"Authorization": f"Bearer {ADMIN}"})
        finally:
            app.state.service.store.close()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("backend", BACKENDS)
def test_refusals_by_auth_are_documented(backend: str, tmp_path: Path) -> None:
    """With tokens required, every operation without a token (401 for writes) and with a read
    token (403 for writes): every refusal is a documented response."""
    with new_database(backend, tmp_path) as url:
        app = create_app(Settings(database_url=url, auth="required", bootstrap_token=ADMIN))
        try:
            reader = app.state.tokens.create("reader", "read", actor="test")
            schema = _untokened(
                schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())
            )
            failures = _each_operation(schema, examples=AUTH_EXAMPLES)
            failures += _each_operation(
                schema, examples=AUTH_EXAMPLES, headers={"Authorization": f"Bearer {reader}"}
            )
        finally:
            app.state.service.store.close()
    assert not failures, "\n\n".join(failures)


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    for (method, path), targets in LINKS.items():
        ok = document["paths"][path][method]["responses"]["200"]
        ok["links"] = {
            f"{target_method}{target_path}".replace("/", "_").replace("{", "").replace("}", ""): {
                "operationRef": _ref(target_method, target_path),
                "parameters": parameters,
            }
            for target_method, target_path, parameters in targets
        }
    return document


@pytest.mark.parametrize("backend", BACKENDS)
def test_stateful_phase(backend: str, tmp_path: Path) -> None:
    # its own database: the other tests may leave the registry READONLY, where every
    # registration is refused and no chain would start
    with new_database(backend, tmp_path) as url:
        app = create_app(Settings(database_url=url, max_body_bytes=64 * 1024))
        try:
            _run_stateful_phase(app)
        finally:
            app.state.service.store.close()


def _empty(app: Any) -> None:
    """Delete every row, as a permanent delete would tell the other readers (the schema-id
    watch: SQLite sees the commit, PostgreSQL gets the notification)."""
    store = app.state.service.store
    with store.engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
        if store.dialect == "postgresql":
            conn.execute(text(f"NOTIFY {id_watch.CHANNEL}"))


def _run_stateful_phase(app: Any) -> None:
    schema = _untokened(
        schemathesis.openapi.from_dict(_with_links(app.openapi()), config=_config())
    )
    schema.app = app
    schema.config.phases.stateful.inference.algorithms = []  # see LINKS
    machine = schema.as_state_machine()
    assert schema.statistic.transitions.selected == sum(len(t) for t in LINKS.values())
    seen: collections.Counter[tuple[str, int]] = collections.Counter()

    class Checked(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # each scenario starts from an empty registry, so that hypothesis, replaying one,
            # sees the same answers (else it reports its data generation as flaky)
            _empty(app)

        def before_call(self, case: schemathesis.Case) -> None:
            negative = case.meta is not None and case.meta.generation.mode.is_negative
            # only in positive cases: a negative one must stay invalid to be refused
            if (case.method, case.path) in SCHEMA_BODIES and not negative:
                pick = len(json.dumps(case.body, default=str)) % len(SCHEMAS)
                case.body = {"schemaType": "JSON", "schema": SCHEMAS[pick]}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            seen[(f"{case.method} {case.path}", response.status_code)] += 1

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=STATEFUL_EXCLUDED_CHECKS,  # reasons: next to its definition
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Checked.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # the chains reached real resources: registrations, then reads of what they made
    assert seen[("POST /subjects/{subject}/versions", 200)] > 0, seen
    followed = [k for k, n in seen.items() if k[1] == 200 and "{" in k[0] and k[0][0] != "P"]
    assert followed, seen
