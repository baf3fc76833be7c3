"""tests/longest_first.py: the longest blocks lead the workers' shares, nothing is lost or
repeated, and each share keeps the size xdist's worksteal split gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

import pytest

import longest_first
from longest_first import LONGEST, order, shares


@dataclass
class Item:
    nodeid: str


def items(ids: list[str]) -> list[pytest.Item]:
    return cast(list[pytest.Item], [Item(i) for i in ids])


def test_shares_are_xdists_split() -> None:
    # WorkStealingScheduling.check_schedule: each idle node gets len(pending) // nodes_left
    assert shares(10, 4) == [2, 2, 3, 3]
    assert shares(6859, 4) == [1714, 1715, 1715, 1715]
    assert sum(shares(7, 3)) == 7


def test_the_longest_blocks_lead_the_shares_longest_first(monkeypatch: Any) -> None:
    monkeypatch.setattr(
        longest_first, "LONGEST", {"m/long_a.py": 50, "m/long_b.py": 40, "m/x.py::t[3]": 30}
    )
    ids = [f"m/x.py::t[{n}]" for n in range(10)]
    ids[5:5] = ["m/long_b.py::one", "m/long_b.py::two"]
    ids.append("m/long_a.py::only")
    out = [i.nodeid for i in order(items(ids), 3)]
    assert sorted(out) == sorted(ids)  # every test once
    a, b, c = out[0:4], out[4:8], out[8:13]  # shares(13, 3) == [4, 4, 5]
    assert a[0] == "m/long_a.py::only"
    assert b[:2] == ["m/long_b.py::one", "m/long_b.py::two"]  # a block stays together, in order
    assert c[0] == "m/x.py::t[3]"
    rest = [i for i in out if i in ids[:5] + ids[7:12] and i != "m/x.py::t[3]"]
    assert rest == [i for i in ids if i.startswith("m/x.py") and i != "m/x.py::t[3]"]


def test_too_many_workers_keep_the_collection_order(monkeypatch: Any) -> None:
    monkeypatch.setattr(longest_first, "LONGEST", {"m/long.py": 9})
    ids = ["m/long.py::a", "m/long.py::b", "m/x.py::c", "m/x.py::d"]
    assert [i.nodeid for i in order(items(ids), 3)] == ids  # a share of 1 cannot hold 2


def test_the_named_blocks_exist() -> None:
    for prefix in LONGEST:  # a renamed test would silently fall back to its collected place
        path, _, test = prefix.partition("::")
        assert (longest_first.REPO / path).is_file(), path
        if test:  # the test function a block names (its prefix, up to its parameters)
            name = test.split("[")[0]
            text = (longest_first.REPO / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name)}\w*\(", text, re.M), prefix
