"""Fixtures for the tests that build and run generated TypeScript packages in Node.js (one
npm install for the whole session, see ``node.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import node


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return node.workspace()


@pytest.fixture
def ts_folder(node_modules: Path, tmp_path: Path) -> Path:
    """An empty folder for generated packages, resolving modules from the workspace."""
    return node.link_workspace(tmp_path / "ts")
