"""`$ref`s to sibling files: the CLI reads them (never anything outside the project root)
and hands them to the loader, which itself does no I/O."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from servers import run_evreg

COMMON = {
    "$defs": {
        "Money": {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "currency": {"type": "string", "enum": ["EUR", "USD"]},
            },
            "required": ["amount", "currency"],
        }
    }
}
ORDER = {
    "type": "object",
    "properties": {"total": {"$ref": "common.json#/$defs/Money"}},
    "required": ["total"],
}


def _evreg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_evreg(*args, cwd=cwd, env=os.environ, timeout=120)


def _write(folder: Path, name: str, value: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(value))


def test_a_breaking_change_in_a_sibling_file_is_found_with_its_witness(tmp_path: Path) -> None:
    narrowed = json.loads(json.dumps(COMMON))
    narrowed["$defs"]["Money"]["properties"]["currency"]["enum"] = ["EUR"]
    _write(tmp_path / "v1", "common.json", COMMON)
    _write(tmp_path / "v1", "order.json", ORDER)
    _write(tmp_path / "v2", "common.json", narrowed)
    _write(tmp_path / "v2", "order.json", ORDER)
    done = _evreg("compat", "v1/order.json", "v2/order.json", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["rule"] == "ENUM_ARRAY_NARROWED"
    assert finding["path"] == "#/properties/total/properties/currency/enum"
    assert finding["witness"] == {"total": {"amount": 0, "currency": "USD"}}


def test_a_ref_leaving_the_contracts_folder_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "v1", "order.json", ORDER)
    _write(tmp_path / "v1", "common.json", COMMON)
    evil = {"type": "object", "properties": {"x": {"$ref": "../../../etc/passwd#/a"}}}
    _write(tmp_path / "v2", "order.json", evil)
    done = _evreg("compat", "v1/order.json", "v2/order.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "leaves the project" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_sibling_names_the_ref(tmp_path: Path) -> None:
    _write(tmp_path, "order.json", ORDER)
    done = _evreg("compat", "order.json", "order.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "common.json" in done.stderr and "order.json" in done.stderr
