"""An AsyncAPI document that breaks its official schema: one line per error, each naming the
file, the line and the JSON Pointer, exit 2 (issue 17; issue 22 item 5)."""

from __future__ import annotations

from pathlib import Path

from test_cli_helpers import run

BROKEN = """\
asyncapi: 3.1.0
info:
  title: Streetlights
  version: 1.0.0
  bogusField: 1
channels:
  measured:
    address: lights/measured
    notAField: 2
    messages:
      m:
        payload:
          type: object
operations:
  onMeasured:
    action: publish
    channel:
      $ref: '#/channels/measured'
"""


def test_each_structural_error_is_one_line_with_file_line_and_pointer(tmp_path: Path) -> None:
    doc = tmp_path / "lights.yaml"
    doc.write_text(BROKEN)
    result = run("compat", doc.name, doc.name, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        "error: lights.yaml:5 at #/info/bogusField: not valid AsyncAPI 3.1: unknown field "
        "'bogusField' (extensions start with x-)",
        "error: lights.yaml:9 at #/channels/measured/notAField: not valid AsyncAPI 3.1: "
        "unknown field 'notAField' (extensions start with x-)",
        "error: lights.yaml:16 at #/operations/onMeasured/action: not valid AsyncAPI 3.1: "
        "'publish' is not one of ['send', 'receive']",
    ]


def test_a_reader_error_of_a_valid_document_names_its_line_too(tmp_path: Path) -> None:
    # valid against the official schema, refused by evreg's own reading: a payload that is not
    # a valid JSON Schema (its meta-schema check names the pointer; the CLI adds the line)
    doc = tmp_path / "bad_payload.yaml"
    doc.write_text(
        BROKEN.replace("  bogusField: 1\n", "")
        .replace("    notAField: 2\n", "")
        .replace("publish", "send")
        .replace("type: object", "type: 5")
    )
    result = run("compat", doc.name, doc.name, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: bad_payload.yaml:11 at #/channels/measured/messages/m/payload")
