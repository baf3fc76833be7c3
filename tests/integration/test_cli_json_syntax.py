"""A ``.json`` file is JSON: the real ``evreg`` executable refuses a trailing comma in one (it used
to read the file as YAML and say COMPATIBLE), naming ``file:line:column``, wherever it reads
contract files (``compat``, ``check`` of a folder, a ``$ref``'d sibling, ``diff`` of two
files). ``.yaml``/``.yml`` files are YAML; other suffixes are sniffed (docs/cli.md, "Files").

The oracle for what is JSON is Python's own ``json`` module, for what is YAML PyYAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_cli_helpers import run

# line 4, column 36 is the comma after the last property
TRAILING_COMMA = """{
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "total": {"type": "number"},
  },
  "required": ["id"]
}
"""
COMMA = (5, 32)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_oracles_disagree_on_this_text() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(TRAILING_COMMA)
    assert yaml.safe_load(TRAILING_COMMA)["required"] == ["id"]  # what evreg used to accept
    line = TRAILING_COMMA.splitlines()[COMMA[0] - 1]
    assert line[COMMA[1] - 1] == "," and not line[COMMA[1] :].strip()


def test_compat_refuses_a_json_file_with_a_trailing_comma(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.json", TRAILING_COMMA)
    done = run("compat", bad, bad)
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert (
        done.stderr
        == f"error: {bad}:{COMMA[0]}:{COMMA[1]}: invalid JSON: trailing comma before '}}'\n"
    )


def test_other_json_syntax_errors_name_the_decoders_place(tmp_path: Path) -> None:
    text = '{\n  "type": "object"\n  "title": "x"\n}\n'
    bad = _write(tmp_path, "missing-comma.json", text)
    with pytest.raises(json.JSONDecodeError) as oracle:
        json.loads(text)
    done = run("compat", bad, bad)
    assert done.returncode == 2
    where = f"{bad}:{oracle.value.lineno}:{oracle.value.colno}"
    assert done.stderr == f"error: {where}: invalid JSON: {oracle.value.msg}\n"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_the_same_text_in_a_yaml_file_is_yaml(tmp_path: Path, suffix: str) -> None:
    good = _write(tmp_path, f"flow{suffix}", TRAILING_COMMA)
    done = run("compat", good, good)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("COMPATIBLE")


def test_an_unknown_suffix_is_sniffed(tmp_path: Path) -> None:
    sniffed = _write(tmp_path, "order.schema", TRAILING_COMMA)  # JSON-looking, valid YAML
    done = run("compat", sniffed, sniffed)
    assert done.returncode == 0, done.stderr


def test_check_of_a_folder_names_the_json_file(tmp_path: Path) -> None:
    good = TRAILING_COMMA.replace('"number"},\n', '"number"}\n')
    json.loads(good)
    _write(tmp_path / "old", "order.json", good)
    bad = _write(tmp_path / "new", "order.json", TRAILING_COMMA)
    done = run("check", tmp_path / "new", "--against", tmp_path / "old")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{bad.name}:{COMMA[0]}:{COMMA[1]}: invalid JSON: trailing comma" in done.stdout
    assert "1 invalid" in done.stdout


def test_a_referenced_json_file_is_strict_too(tmp_path: Path) -> None:
    _write(tmp_path, "common.json", TRAILING_COMMA)
    main = _write(
        tmp_path,
        "order.json",
        json.dumps({"type": "object", "properties": {"x": {"$ref": "common.json"}}}),
    )
    done = run("compat", main, main)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"common.json:{COMMA[0]}:{COMMA[1]}: invalid JSON: trailing comma" in done.stderr


def test_diff_of_two_files_refuses_it(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.json", TRAILING_COMMA)
    good = _write(tmp_path, "good.yaml", TRAILING_COMMA)
    done = run("diff", good, bad)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{bad}:{COMMA[0]}:{COMMA[1]}: invalid JSON" in done.stderr
