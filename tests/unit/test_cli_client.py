"""client.py with a fake transport: errors become exit codes with one-line messages, reports and
409 messages become Findings (with witnesses) for render.py."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from evreg.cli.client import (
    Incompatible,
    RegistryClient,
    RegistryRefused,
    RegistryUnavailable,
    incompatible_subject,
    parse_incompatible,
    report_from_dict,
)
from evreg.cli.main import main
from evreg.contracts.compat import Direction, Finding, Level, Policy, Report

URL = "http://registry.test:8081"


def client(
    handler: Callable[[httpx.Request], httpx.Response], token: str | None = None
) -> RegistryClient:
    return RegistryClient(URL, token=token, transport=httpx.MockTransport(handler))


def test_connection_error_is_unavailable_with_one_line() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(RegistryUnavailable) as caught, client(refuse) as c:
        c.subjects()
    assert str(caught.value) == f"registry {URL} unreachable: [Errno 111] Connection refused"
    assert caught.value.exit_code == 3


def test_server_error_is_unavailable() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error_code": 50001, "message": "database down"})

    with pytest.raises(RegistryUnavailable, match="HTTP 500 database down"), client(fail) as c:
        c.versions("x")


def test_not_json_is_unavailable() -> None:
    with (
        pytest.raises(RegistryUnavailable, match="not JSON"),
        client(lambda r: httpx.Response(200, text="<html>")) as c,
    ):
        c.subjects()


@pytest.mark.parametrize(("status", "hint"), [(401, "set EVREG_TOKEN"), (403, "role")])
def test_auth_errors_are_refusals_with_a_hint(status: int, hint: str) -> None:
    def deny(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error_code": status * 100 + 1, "message": "no"})

    with pytest.raises(RegistryRefused) as caught, client(deny) as c:
        c.register("s", "{}", "JSON")
    assert caught.value.exit_code == 2
    assert hint in str(caught.value)


def test_token_and_content_type_are_sent() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 7})

    with client(record, token="evreg_abc") as c:
        assert c.register("orders/placed", '{"type":"object"}', "JSON") == 7
    (request,) = seen
    assert request.headers["Authorization"] == "Bearer evreg_abc"
    assert request.headers["Content-Type"] == "application/vnd.schemaregistry.v1+json"
    assert request.url.raw_path == b"/subjects/orders%2Fplaced/versions"
    assert json.loads(request.content) == {"schema": '{"type":"object"}', "schemaType": "JSON"}


def test_lookup_of_an_unknown_schema_is_none() -> None:
    def missing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})

    with client(missing) as c:
        assert c.lookup("s", "{}", "JSON") is None


def test_reports_round_trip() -> None:
    report = Report(
        Level.FULL,
        Policy.LENIENT,
        (
            Finding("R1", "#/a", "m", True, Direction.FORWARD, {"a": None}, None, True, 2),
            Finding("R2", "#/b", "m", True, witness_note="none found"),
            Finding("R3", "#/c", "m", False, channel="orders.placed", message_name="M"),
            Finding("R4", "#/d", "m", True, witness=None, has_witness=True),  # the event `null`
        ),
    )
    assert report_from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_refused_without_findings_is_a_schema_type_change() -> None:
    parsed = report_from_dict(
        {"is_compatible": False, "level": "BACKWARD", "policy": "STRICT", "findings": []}
    )
    assert not parsed.is_compatible
    assert parsed.findings[0].rule == "SCHEMA_TYPE_CHANGED"


MESSAGE_409 = (
    'Schema being registered is incompatible with an earlier schema for subject "orders-value", '
    "details: [{errorType:'TYPE_CHANGED', description:'The type changed: it's gone', "
    "additionalInfo:'#/properties/a', oldSchemaVersion:2, direction:'BACKWARD', "
    'witness:{"a": "x}; {y", "b": [1, {"c": null}]}}; '
    "{errorType:'ENUM_ARRAY_NARROWED', description:'An enum lost a value', "
    "additionalInfo:'#/properties/t', oldSchemaVersion:1, direction:'FORWARD', "
    "witnessNote:'no event found'}; "
    "{errorType:'TYPE_MISMATCH', description:'version 1 of subject x is a JSON schema', "
    "oldSchemaVersion:1}; "
    "{compatibility:'FULL', policy:'LENIENT'}]"
)


def test_parse_409_message() -> None:
    report = parse_incompatible(MESSAGE_409)
    assert (report.level, report.policy) == (Level.FULL, Policy.LENIENT)
    first, second, third = report.findings
    assert first.rule == "TYPE_CHANGED"
    assert first.message == "The type changed: it's gone"
    assert first.path == "#/properties/a"
    assert first.version == 2
    assert first.has_witness
    assert first.witness == {"a": "x}; {y", "b": [1, {"c": None}]}
    assert second.direction is Direction.FORWARD
    assert not second.has_witness
    assert second.witness_note == "no event found"
    assert (third.rule, third.path) == ("TYPE_MISMATCH", "#")
    assert all(f.breaking for f in report.findings)
    assert incompatible_subject(MESSAGE_409) == "orders-value"


def test_unparsable_409_keeps_the_text() -> None:
    report = parse_incompatible("Schema being registered is incompatible: something new")
    (finding,) = report.findings
    assert finding.rule == "INCOMPATIBLE"
    assert "something new" in finding.message


def test_register_409_raises_incompatible() -> None:
    def conflict(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"error_code": 409, "message": MESSAGE_409})

    with pytest.raises(Incompatible) as caught, client(conflict) as c:
        c.register("orders-value", "{}", "JSON")
    assert len(caught.value.report.findings) == 3


def test_bad_registry_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["subjects", "--registry", "localhost:8081"]) == 2
    assert "is not a registry URL" in capsys.readouterr().err
