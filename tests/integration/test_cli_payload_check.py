"""``evreg check`` and ``evreg push --dry-run`` check the payload subjects a push registers.

Pushing an AsyncAPI contract also registers the payload of each channel it sends on as
``<address>-value``, checked under that subject's own config. Here the payload subject is FULL
while the contract's subject is BACKWARD: adding a currency to the payload's enum is accepted
by the contract's subject (a new reader reads every old event) and refused by the payload
subject (an old reader rejects the new currency). ``check`` must say so, with the witness and
the contract's line, and ``push --dry-run`` must agree with what ``push`` then does. The real
``evreg`` executable against ``evreg serve`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli_helpers import (
    Registry,
    annotations,
    clean_env,
    fresh_database,
    line_containing,
    run,
)

REPO = Path(__file__).resolve().parents[2]
ENUM = "enum: [EUR, USD, GBP]"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    folder = tmp_path_factory.mktemp("registry")
    with fresh_database(request.param, folder) as url:
        server = Registry(url, folder).start()
        try:
            yield server
        finally:
            server.stop()


def contract(folder: Path, name: str, address: str, *, old: str = "", new: str = "") -> Path:
    """The repository's orders contract on channel ``address``, with ``old`` replaced by
    ``new``; saved as ``folder/name.yaml`` (its subject is ``name``)."""
    text = (REPO / "contracts" / "order_placed.yaml").read_text(encoding="utf-8")
    text = text.replace("address: orders.placed", f"address: {address}")
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def versions(registry: Registry, subject: str) -> Any:
    return httpx.get(f"{registry.url}/subjects/{subject}/versions").json()


def breaking(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in findings if f["breaking"])


@pytest.fixture
def pushed(registry: Registry, tmp_path: Path) -> tuple[str, str]:
    """A contract pushed once, its payload subject set to FULL: (subject, payload subject)."""
    suffix = uuid.uuid4().hex[:8]
    name, address = f"orders_{suffix}", f"orders-{suffix}.placed"
    done = run("push", contract(tmp_path / "v1", name, address), "-r", registry.url)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = f"{address}-value"
    assert f"payload subject {payload}  version 1" in done.stdout
    assert run("config", payload, "--level", "FULL", "-r", registry.url).returncode == 0
    return name, payload


def test_check_reports_a_change_only_the_payload_subject_refuses(
    registry: Registry, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    name, payload = pushed
    address = payload.removesuffix("-value")
    v2 = contract(tmp_path / "v2", name, address, old=ENUM, new="enum: [EUR, USD, GBP, CHF]")

    done = run("check", v2, "-r", registry.url, "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    (entry,) = json.loads(done.stdout)["files"]
    assert entry["status"] == "incompatible"
    # the contract's own subject (BACKWARD) accepts the change: only the payload subject refuses
    assert entry["is_compatible"] is True
    assert breaking(entry["findings"]) == []
    (checked,) = entry["payload_subjects"]
    assert checked["subject"] == payload
    assert checked["level"] == "FULL"
    assert checked["is_compatible"] is False
    (finding,) = [f for f in checked["findings"] if f["breaking"]]
    assert finding["rule"] == "ENUM_ARRAY_NARROWED"
    assert finding["direction"] == "FORWARD"
    # the path and line are the contract's, not the standalone payload schema's
    assert finding["path"] == "#/components/messages/OrderPlaced/payload/properties/currency/enum"
    assert finding["line"] == line_containing(v2, "enum: [EUR, USD, GBP, CHF]")
    assert finding["witness"]["currency"] == "CHF"  # the old payload schema rejects it

    text = run("check", v2, "-r", registry.url)
    assert text.returncode == 1
    assert f"INCOMPATIBLE  payload subject {payload} -> {v2}  (FULL, policy STRICT)" in text.stdout
    assert "BREAKING  ENUM_ARRAY_NARROWED" in text.stdout
    assert '"currency":"CHF"' in text.stdout

    github = run("check", v2, "-r", registry.url, "--format", "github")
    assert github.returncode == 1
    (error,) = [a for a in annotations(github.stdout) if a["kind"] == "error"]
    assert error["file"] == str(v2)
    assert int(error["line"]) == line_containing(v2, "enum: [EUR, USD, GBP, CHF]")
    assert error["title"] == "ENUM_ARRAY_NARROWED"
    assert error["message"].startswith(f"payload subject {payload}: ")
    assert "witness: " in error["message"]

    # an explicit --level applies to every subject checked: under BACKWARD it passes
    assert run("check", v2, "-r", registry.url, "--level", "BACKWARD").returncode == 0


def test_dry_run_agrees_with_push(
    registry: Registry, tmp_path: Path, pushed: tuple[str, str]
) -> None:
    name, payload = pushed
    address = payload.removesuffix("-value")
    v2 = contract(tmp_path / "v2", name, address, old=ENUM, new="enum: [EUR, USD, GBP, CHF]")

    dry = run("push", v2, "--dry-run", "-r", registry.url, "--format", "json")
    real = run("push", v2, "-r", registry.url, "--format", "json")
    assert (dry.returncode, real.returncode) == (1, 1), dry.stdout + real.stdout + real.stderr
    (planned,), (done,) = json.loads(dry.stdout), json.loads(real.stdout)
    for result in (planned, done):
        assert result["outcome"] == "incompatible"
        assert result["refused_subject"] == payload
    enum = "#/components/messages/OrderPlaced/payload/properties/currency/enum"
    assert (
        breaking(planned["findings"])
        == breaking(done["findings"])
        == [("ENUM_ARRAY_NARROWED", enum)]
    )
    assert versions(registry, name) == [1]  # the push was refused as a whole
    assert versions(registry, payload) == [1]

    text = run("push", v2, "-r", registry.url)
    assert f"REFUSED     {v2}  subject {name}: its payload subject {payload} is incompatible" in (
        text.stdout
    )

    # a change both subjects accept: the dry run says so, and the push registers it
    v3 = contract(
        tmp_path / "v3", name, address, old="One event per accepted order.", new="One per order."
    )
    assert run("check", v3, "-r", registry.url).returncode == 0
    dry = run("push", v3, "--dry-run", "-r", registry.url, "--format", "json")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert json.loads(dry.stdout)[0]["outcome"] == "compatible"
    real = run("push", v3, "-r", registry.url, "--format", "json")
    assert real.returncode == 0, real.stdout + real.stderr
    assert json.loads(real.stdout)[0]["outcome"] == "registered"
    assert versions(registry, name) == [1, 2]


# ---------------------------------------------------------------- payload subject strategies


def named(tmp: Path, folder: str, suffix: str, *, old: str = "", new: str = "") -> Path:
    """The orders contract on ``orders-<suffix>.placed`` whose message is named
    ``OrderPlaced<suffix>`` (its payload has no title, so that is its record name)."""
    path = contract(tmp / folder, f"orders_{suffix}", f"orders-{suffix}.placed", old=old, new=new)
    text = path.read_text(encoding="utf-8")
    assert text.count("      name: OrderPlaced\n") == 1
    path.write_text(text.replace("      name: OrderPlaced\n", f"      name: OrderPlaced{suffix}\n"))
    return path


def subjects(registry: Registry) -> set[str]:
    return set(httpx.get(f"{registry.url}/subjects").json())


def test_the_strategy_flag_reaches_check_and_push(registry: Registry, tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:8]
    record, topic = f"OrderPlaced{suffix}", f"orders-{suffix}.placed-value"
    v1 = named(tmp_path, "v1", suffix)
    flag = ("--payload-subject-strategy", "record-name")

    checked = run("check", v1, "-r", registry.url, "--format", "json", *flag)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (entry,) = json.loads(checked.stdout)["files"]
    assert entry["status"] == "new"  # nothing registered yet: no payload subject to check

    done = run("push", v1, "-r", registry.url, *flag)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"payload subject {record}  version 1" in done.stdout
    assert record in subjects(registry) and topic not in subjects(registry)
    assert run("config", record, "--level", "FULL", "-r", registry.url).returncode == 0

    # a change only the record-name payload subject (FULL) refuses: check, dry run and push
    # all name it, and nothing is stored
    v2 = named(tmp_path, "v2", suffix, old=ENUM, new="enum: [EUR, USD, GBP, CHF]")
    checked = run("check", v2, "-r", registry.url, "--format", "json", *flag)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    (entry,) = json.loads(checked.stdout)["files"]
    (payload,) = entry["payload_subjects"]
    assert (payload["subject"], payload["is_compatible"]) == (record, False)
    enum = "#/components/messages/OrderPlaced/payload/properties/currency/enum"
    assert breaking(payload["findings"]) == [("ENUM_ARRAY_NARROWED", enum)]
    for extra in (("--dry-run",), ()):
        pushed = run("push", v2, "-r", registry.url, "--format", "json", *flag, *extra)
        assert pushed.returncode == 1, pushed.stdout + pushed.stderr
        (result,) = json.loads(pushed.stdout)
        assert (result["outcome"], result["refused_subject"]) == ("incompatible", record)
    assert versions(registry, f"orders_{suffix}") == [1]
    assert versions(registry, record) == [1]
    assert topic not in subjects(registry)


def test_the_strategy_from_evreg_toml_and_the_environment(
    registry: Registry, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    address = f"orders-{suffix}.placed"
    project = tmp_path / "project"
    v1 = named(project, "contracts", suffix)
    (project / "evreg.toml").write_text(
        f'registry = "{registry.url}"\npayload_subject_strategy = "topic-record-name"\n'
    )
    done = run("push", v1, cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"payload subject {address}-OrderPlaced{suffix}  version 1" in done.stdout
    assert f"{address}-value" not in subjects(registry)

    # EVREG_PAYLOAD_SUBJECT_STRATEGY overrides the file, and the flag overrides both
    env = clean_env(EVREG_PAYLOAD_SUBJECT_STRATEGY="topic-name")
    checked = run("check", v1, "--format", "json", cwd=project, env=env)
    (entry,) = json.loads(checked.stdout)["files"]
    assert [p["subject"] for p in entry["payload_subjects"]] == [f"{address}-value"]
    flagged = run(
        "check",
        v1,
        "--format",
        "json",
        "--payload-subject-strategy",
        "record-name",
        cwd=project,
        env=env,
    )
    (entry,) = json.loads(flagged.stdout)["files"]
    assert [p["subject"] for p in entry["payload_subjects"]] == [f"OrderPlaced{suffix}"]


def test_bad_strategy_names_are_refused_where_they_were_set(
    registry: Registry, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    project = tmp_path / "project"
    v1 = named(project, "contracts", suffix)
    flag = run("push", v1, "-r", registry.url, "--payload-subject-strategy", "topic")
    assert flag.returncode == 2
    assert "--payload-subject-strategy" in flag.stderr
    env = run("push", v1, "-r", registry.url, env=clean_env(EVREG_PAYLOAD_SUBJECT_STRATEGY="x"))
    assert env.returncode == 2
    assert "EVREG_PAYLOAD_SUBJECT_STRATEGY: 'x' is not one of" in env.stderr
    (project / "evreg.toml").write_text('payload_subject_strategy = "record"\n')
    toml = run("check", v1, "-r", registry.url, cwd=project)
    assert toml.returncode == 2
    assert "evreg.toml: payload_subject_strategy: 'record' is not one of" in toml.stderr

    # the registry itself refuses an unknown strategy, naming the parameter, and stores nothing
    body = {"schema": v1.read_text(encoding="utf-8"), "schemaType": "ASYNCAPI"}
    for path in (f"/subjects/orders_{suffix}/versions", f"/api/subjects/orders_{suffix}/check"):
        response = httpx.post(
            f"{registry.url}{path}", json=body, params={"payloadSubjectStrategy": "topic"}
        )
        assert response.status_code == 422, response.text
        assert "payloadSubjectStrategy='topic'" in response.json()["message"]
    assert f"orders_{suffix}" not in subjects(registry)
