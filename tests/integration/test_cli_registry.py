"""The CLI against a real registry: ``evreg serve`` in a subprocess on SQLite and on PostgreSQL
(a fresh ``evreg_cli_<uuid>`` database per module), the real ``evreg`` executable for every
command. Tests share the module's registry and use subjects of their own; the token test runs
last because the first admin token closes writes to anonymous clients."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_cli_helpers import (
    Registry,
    annotations,
    clean_env,
    free_port,
    fresh_database,
    line_containing,
    run,
)


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


@pytest.fixture
def subject() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def evolution(shared_dir: Path, name: str) -> Path:
    return shared_dir / "contracts" / "evolution" / f"customer_registered.{name}.json"


def as_subject(source: Path, folder: Path, subject: str) -> Path:
    """A copy of ``source`` named so that its subject is ``subject`` (file-name strategy)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{subject}.json"
    shutil.copyfile(source, target)
    return target


def test_push_prints_subject_version_and_id(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v1 = as_subject(evolution(shared_dir, "v1"), tmp_path / "a", subject)
    done = run("push", v1, "--registry", registry.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"REGISTERED  {v1}  subject {subject}  version 1  id " in done.stdout

    v2 = as_subject(evolution(shared_dir, "v2"), tmp_path / "b", subject)
    done = run("push", v2, "--registry", registry.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"subject {subject}  version 2" in done.stdout

    again = run("push", v2, "--registry", registry.url, "--format", "json")
    assert again.returncode == 0
    (entry,) = json.loads(again.stdout)
    assert entry["outcome"] == "unchanged"
    assert entry["version"] == 2
    assert httpx.get(f"{registry.url}/subjects/{subject}/versions").json() == [1, 2]


def test_push_refused_shows_findings_with_witnesses(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v3 = as_subject(evolution(shared_dir, "v3"), tmp_path / "a", subject)
    assert run("push", v3, "-r", registry.url).returncode == 0
    v4 = as_subject(evolution(shared_dir, "v4-adds-required-field"), tmp_path / "b", subject)
    done = run("push", v4, "-r", registry.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"REFUSED     {v4}  subject {subject}" in done.stdout
    assert "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL  #/properties/phone" in done.stdout
    assert "witness: this event is valid under the old contract and rejected by the new one" in (
        done.stdout
    )
    assert httpx.get(f"{registry.url}/subjects/{subject}/versions").json() == [1]


def test_check_against_the_registry(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v3 = as_subject(evolution(shared_dir, "v3"), tmp_path / "a", subject)
    assert run("push", v3, "-r", registry.url).returncode == 0
    ok = run("check", v3, "-r", registry.url)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    v4 = as_subject(evolution(shared_dir, "v4-adds-required-field"), tmp_path / "b", subject)
    done = run("check", v4, "-r", registry.url, "--format", "github")
    assert done.returncode == 1, done.stdout + done.stderr
    (note,) = [a for a in annotations(done.stdout) if a["kind"] == "error"]
    assert note["title"] == "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    assert int(note["line"]) == line_containing(v4, '"phone": {')
    assert "witness: " in note["message"]

    # the other v4 breaks BACKWARD only: FORWARD (a flag overrides the subject's config) passes
    removes = as_subject(evolution(shared_dir, "v4-removes-enum-value"), tmp_path / "c", subject)
    assert run("check", removes, "-r", registry.url).returncode == 1
    assert run("check", removes, "-r", registry.url, "--level", "FORWARD").returncode == 0


def test_check_of_an_unregistered_subject_is_new(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v1 = as_subject(evolution(shared_dir, "v1"), tmp_path, subject)
    done = run("check", v1, "-r", registry.url, "--format", "json")
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["files"]
    assert entry["status"] == "new"
    assert entry["subject"] == subject


def test_check_uses_the_subjects_config_on_the_registry(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v3 = as_subject(evolution(shared_dir, "v3"), tmp_path / "a", subject)
    assert run("push", v3, "-r", registry.url).returncode == 0
    done = run("config", subject, "--level", "FORWARD", "-r", registry.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"subject {subject}: FORWARD, policy STRICT"
    removes = as_subject(evolution(shared_dir, "v4-removes-enum-value"), tmp_path / "b", subject)
    assert run("check", removes, "-r", registry.url).returncode == 0
    shown = run("config", subject, "-r", registry.url, "--format", "json")
    assert json.loads(shown.stdout)["compatibilityLevel"] == "FORWARD"
    assert run("config", subject, "--unset", "-r", registry.url).returncode == 0
    assert run("check", removes, "-r", registry.url).returncode == 1


def test_push_dry_run_writes_nothing(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    v1 = as_subject(evolution(shared_dir, "v1"), tmp_path / "a", subject)
    done = run("push", v1, "--dry-run", "-r", registry.url)
    assert done.returncode == 0, done.stderr
    assert "dry run: not registered" in done.stdout
    assert httpx.get(f"{registry.url}/subjects/{subject}/versions").status_code == 404


def test_push_a_folder_of_shared_contracts(
    registry: Registry, shared_dir: Path, tmp_path: Path
) -> None:
    # one folder per run so that subjects do not collide across the two backends' modules
    folder = tmp_path / "contracts"
    suffix = uuid.uuid4().hex[:6]
    sources = {
        f"orders_{suffix}.yaml": shared_dir / "contracts" / "orders.asyncapi.yaml",
        f"sensor_{suffix}.json": shared_dir / "contracts" / "iot" / "sensor_reading.schema.json",
        f"notify_{suffix}.yaml": shared_dir
        / "contracts"
        / "social"
        / "notification_requested.schema.yaml",
    }
    folder.mkdir()
    for name, source in sources.items():
        shutil.copyfile(source, folder / name)
    done = run("push", folder, "-r", registry.url, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = {Path(r["file"]).name: r for r in json.loads(done.stdout)}
    assert set(results) == set(sources)
    assert all(r["outcome"] == "registered" for r in results.values())
    orders = results[f"orders_{suffix}.yaml"]
    assert orders["subject"] == f"orders_{suffix}"
    # the registry also registered the payload of each channel the orders service sends on
    payload_subjects = {p["subject"] for p in orders["payload_subjects"]}
    assert "orders.placed-value" in payload_subjects
    listed = run("subjects", "-r", registry.url).stdout.split()
    assert {f"orders_{suffix}", f"sensor_{suffix}", f"notify_{suffix}"} <= set(listed)
    assert payload_subjects <= set(listed)

    text = run("push", folder, "-r", registry.url)
    assert text.returncode == 0
    assert text.stdout.count("UNCHANGED") == 3
    assert "3 files: 3 unchanged" in text.stdout
    # on a terminal (FORCE_COLOR makes rich treat stderr as one) a progress bar runs on stderr
    bar = run("push", folder, "-r", registry.url, env=clean_env(FORCE_COLOR="1"))
    assert bar.returncode == 0
    assert "pushing" in bar.stderr
    assert "3/3" in bar.stderr


def test_pull_show_and_diff(
    registry: Registry, shared_dir: Path, tmp_path: Path, subject: str
) -> None:
    for number, name in enumerate(("v1", "v2", "v3"), start=1):
        path = as_subject(evolution(shared_dir, name), tmp_path / str(number), subject)
        assert run("push", path, "-r", registry.url).returncode == 0

    pulled = run("pull", subject, "--version", "2", "-r", registry.url)
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout) == json.loads(evolution(shared_dir, "v2").read_text())
    out = tmp_path / "latest.yaml"
    done = run("pull", subject, "-o", out, "-r", registry.url)
    assert done.returncode == 0
    assert f"subject {subject} version 3" in done.stderr
    assert "additionalProperties: false" in out.read_text()

    shown = run("show", subject, "-r", registry.url, "--format", "json")
    info = json.loads(shown.stdout)
    assert info["versions"] == [1, 2, 3]
    assert info["version"] == 3
    assert info["schemaType"] == "JSON"
    assert info["compatibilityLevel"] == "BACKWARD"

    latest = run("diff", subject, "-r", registry.url)
    assert latest.returncode == 0
    assert f"{subject} v2 -> {subject} v3" in latest.stdout
    assert "ENUM_ARRAY_EXTENDED" in latest.stdout or "enum" in latest.stdout.lower()
    full = run("diff", subject, "1", "3", "--level", "FULL", "-r", registry.url)
    assert "INCOMPATIBLE" in full.stdout  # v1 reads no marketingOptIn: FORWARD breaks
    assert full.returncode == 0
    assert (
        run(
            "diff", subject, "1", "3", "--level", "FULL", "--exit-code", "-r", registry.url
        ).returncode
        == 1
    )


def test_diff_of_two_local_files(shared_dir: Path) -> None:
    done = run(
        "diff",
        evolution(shared_dir, "v3"),
        evolution(shared_dir, "v4-adds-required-field"),
        "--format",
        "json",
    )
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert [f["rule"] for f in report["findings"] if f["breaking"]] == [
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    ]


def test_unknown_subject_is_an_input_error(registry: Registry) -> None:
    done = run("show", "no-such-subject", "-r", registry.url)
    assert done.returncode == 2
    assert done.stderr == f"error: registry {registry.url}: Subject 'no-such-subject' not found.\n"


def test_malformed_yaml_push_exits_2_with_file_and_line(registry: Registry, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("asyncapi: 3.0.0\ninfo: {title: x\nchannels: {}\n")
    done = run("push", bad, "-r", registry.url)
    assert done.returncode == 2
    assert f"{bad}:3" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_unreachable_registry_exits_3_with_one_line(shared_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["subjects"], ["push", evolution(shared_dir, "v1")], ["pull", "x"]):
        done = run(*args, "--registry", url)
        assert done.returncode == 3, args
        assert done.stderr.count("\n") == 1
        assert done.stderr.startswith(f"error: registry {url} unreachable: ")
        assert "refused" in done.stderr.lower()
        assert "Traceback" not in done.stdout + done.stderr


def test_unreachable_registry_on_check(shared_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run("check", evolution(shared_dir, "v1"), env=clean_env(EVREG_URL=url))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: registry {url} unreachable: ")


def test_zz_tokens(registry: Registry, shared_dir: Path, tmp_path: Path, subject: str) -> None:
    """Last in the module: once an admin token exists, writes need a token."""
    done = run("token", "create", "--role", "admin", "--name", "cli-admin", "-r", registry.url)
    assert done.returncode == 0, done.stderr
    admin = done.stdout.strip()
    assert admin.startswith("evreg_")
    assert "never shows it again" in done.stderr

    v1 = as_subject(evolution(shared_dir, "v1"), tmp_path, subject)
    refused = run("push", v1, "-r", registry.url)
    assert refused.returncode == 2
    assert "EVREG_TOKEN" in refused.stdout + refused.stderr

    env = clean_env(EVREG_TOKEN=admin, EVREG_URL=registry.url)
    writer = run("token", "create", "--role", "write", "--name", "ci", env=env)
    assert writer.returncode == 0, writer.stderr
    pushed = run(
        "push", v1, env=clean_env(EVREG_TOKEN=writer.stdout.strip(), EVREG_URL=registry.url)
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    listed = run("token", "list", "--format", "json", env=env)
    names = {t["name"]: t for t in json.loads(listed.stdout)}
    assert {"cli-admin", "ci"} <= set(names)
    assert all("token" not in t for t in names.values())
    revoked = run("token", "revoke", str(names["ci"]["id"]), env=env)
    assert revoked.returncode == 0, revoked.stderr
