"""Multi-file AsyncAPI projects: ``$ref: '../common/x.yaml#/...'`` within the project root (the
folder holding evreg.toml, else the git work tree, else the contract's folder), read the same
way by compat, check, diff, generate and push (which registers the document with the files
embedded: docs/asyncapi.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli_helpers import run

from servers import RegistryProcess

SERVICE = """\
asyncapi: 3.1.0
info: {title: Lights, version: 1.0.0}
channels:
  measured:
    address: lights/{streetlightId}/measured
    parameters:
      streetlightId: {$ref: '../common/parameters.yaml#/streetlightId'}
    messages:
      lightMeasured: {$ref: '../common/messages.yaml#/lightMeasured'}
operations:
  sendLightMeasured:
    action: send
    channel: {$ref: '#/channels/measured'}
"""
MESSAGES = """\
lightMeasured:
  name: lightMeasured
  payload: {$ref: 'schemas.yaml#/LightPayload'}
"""
SCHEMAS = """\
LightPayload:
  type: object
  required: [lumens]
  properties:
    lumens: {type: integer, minimum: 0}
    sentAt: {$ref: '#/Timestamp'}
Timestamp: {type: string, format: date-time}
"""


def project(root: Path, schemas: str = SCHEMAS, marker: bool = True) -> Path:
    (root / "common").mkdir(parents=True)
    (root / "svc").mkdir()
    if marker:
        (root / "evreg.toml").write_text("")
    (root / "common" / "messages.yaml").write_text(MESSAGES)
    (root / "common" / "schemas.yaml").write_text(schemas)
    (root / "common" / "parameters.yaml").write_text("streetlightId: {description: The id.}\n")
    (root / "svc" / "lights.yaml").write_text(SERVICE)
    return root / "svc" / "lights.yaml"


def test_compat_reads_shared_files_and_finds_a_change_in_them(tmp_path: Path) -> None:
    old = project(tmp_path / "v1")
    stricter = SCHEMAS.replace("required: [lumens]", "required: [lumens, sentAt]")
    new = project(tmp_path / "v2", stricter)
    same = run("compat", old, old, cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    done = run("compat", old, new, "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["rule"] == "REQUIRED_ATTRIBUTE_ADDED"
    assert "sentAt" in json.dumps(finding)


def test_a_ref_outside_the_project_root_is_refused(tmp_path: Path) -> None:
    contract = project(tmp_path / "p", marker=False)  # no evreg.toml, no git: the svc folder
    done = run("compat", contract, contract, cwd=tmp_path)
    assert done.returncode == 2
    assert "leaves the project" in done.stderr and "../common/parameters.yaml" in done.stderr
    (tmp_path / "p" / "evreg.toml").write_text("")
    assert run("compat", contract, contract, cwd=tmp_path).returncode == 0


def test_an_error_in_a_shared_file_names_that_file_and_line(tmp_path: Path) -> None:
    contract = project(tmp_path, SCHEMAS.replace("type: object", "type: 7"))
    done = run("compat", contract.relative_to(tmp_path), "svc/lights.yaml", cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: common/schemas.yaml:2 at #/LightPayload/type: "), line


def test_push_registers_the_bundled_document_and_check_agrees(
    tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> None:
    contract = project(tmp_path)
    server = registry_process(f"sqlite:///{tmp_path / 'registry.db'}")
    pushed = run("push", contract, "--registry", server.url, "--format", "json", cwd=tmp_path)
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    [result] = json.loads(pushed.stdout)
    assert result["outcome"] == "registered"
    subjects = {p["subject"] for p in result["payload_subjects"]}
    assert subjects == {"lights.streetlightId.measured-value"}
    checked = run("check", contract, "--registry", server.url, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "unchanged" in checked.stdout.lower() or "compatible" in checked.stdout.lower()


@pytest.mark.parametrize("command", ["generate"])
def test_generate_reads_the_shared_files(tmp_path: Path, command: str) -> None:
    contract = project(tmp_path)
    out = tmp_path / "gen"
    done = run(command, contract, "--lang", "python", "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    models = next(out.rglob("models.py")).read_text()
    assert "lumens" in models
