"""``evreg compat`` and ``evreg diff`` on Avro schema files (``.avsc``): Avro's resolution rules,
the JSON Pointer, a witness, and an invalid file named with its place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evreg.cli.main import main

V1 = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "email", "type": "string"}]}
V3 = {**V1, "fields": [*V1["fields"], {"name": "email", "type": "string", "default": ""}]}


def write(folder: Path, name: str, schema: object) -> str:
    path = folder / name
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return str(path)


def test_compat_reads_avsc_files_as_avro(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = write(tmp_path, "v1.avsc", V1), write(tmp_path, "v2.avsc", V2)
    assert main(["compat", old, new, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (finding,) = [f for f in report["findings"] if f["breaking"]]
    assert (finding["rule"], finding["path"]) == ("AVRO_FIELD_ADDED_WITHOUT_DEFAULT", "#/fields/1")
    assert finding["witness"] == {"id": 0}
    assert main(["compat", old, write(tmp_path, "v3.avsc", V3)]) == 0


def test_an_invalid_avsc_names_the_file_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.avsc", {**V1, "fields": [{"name": "id", "type": "lng"}]})
    assert main(["compat", bad, bad]) == 2
    err = capsys.readouterr().err
    assert "bad.avsc:1 at #: invalid Avro schema" in err and "lng" in err  # file:line, pointer
