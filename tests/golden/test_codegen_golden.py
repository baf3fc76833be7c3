"""Snapshots of the package generated from each shared contract, compared byte for byte.

After an intended change to the generator, refresh them and review the diff:

    EVREG_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden/test_codegen_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import evreg
from evreg.codegen import SourceContract, plan_python, subject_for

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "fixtures" / "codegen"
GOLDEN = ROOT / "codegen"
CASES = {"orders": "orders.asyncapi.yaml", "payments": "payments.asyncapi.yaml"}
UPDATE = os.environ.get("EVREG_UPDATE_GOLDEN") == "1"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_package_matches_its_snapshot(case: str) -> None:
    name = CASES[case]
    contract = evreg.load_contract((FIXTURES / name).read_text(encoding="utf-8"), name=name)
    plan = plan_python([SourceContract(contract, name, subject_for(name, contract.document))])
    generated = {item.path: item.content.encode("utf-8") for item in plan.files}
    folder = GOLDEN / case
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        for path, content in generated.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    expected = snapshot(folder)
    assert sorted(generated) == sorted(expected), (
        "the generated files differ from the snapshot's; refresh with "
        "EVREG_UPDATE_GOLDEN=1 pytest tests/golden/test_codegen_golden.py"
    )
    for path, content in generated.items():
        assert content == expected[path], (
            f"{case}/{path} differs from its snapshot; refresh with "
            "EVREG_UPDATE_GOLDEN=1 pytest tests/golden/test_codegen_golden.py"
        )
