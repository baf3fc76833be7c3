"""The shared evolution example gives the verdicts its README states, BACKWARD and FORWARD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evreg import check_compatibility

# (file, accepted under BACKWARD against the row above, accepted under FORWARD)
ROWS = [
    ("customer_registered.v2.json", True, False),
    ("customer_registered.v3.json", True, False),
    ("customer_registered.v4-adds-required-field.json", False, False),
    ("customer_registered.v4-removes-enum-value.json", False, True),
]
PREVIOUS = {
    "customer_registered.v2.json": "customer_registered.v1.json",
    "customer_registered.v3.json": "customer_registered.v2.json",
    "customer_registered.v4-adds-required-field.json": "customer_registered.v3.json",
    "customer_registered.v4-removes-enum-value.json": "customer_registered.v3.json",
}


@pytest.mark.parametrize(("name", "backward", "forward"), ROWS, ids=[r[0] for r in ROWS])
def test_evolution_verdicts(shared_dir: Path, name: str, backward: bool, forward: bool) -> None:
    folder = shared_dir / "contracts" / "evolution"
    old = json.loads((folder / PREVIOUS[name]).read_text())
    new = json.loads((folder / name).read_text())
    for level, expected in (("BACKWARD", backward), ("FORWARD", forward)):
        report = check_compatibility(old, new, level=level)
        assert report.is_compatible is expected, (level, [f.to_dict() for f in report.findings])
        for finding in report.breaking:
            assert finding.has_witness, finding
