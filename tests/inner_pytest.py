"""A generated package's own pytest suite, run by a test in a child ``python -m pytest``.

The child must not inherit the outer run's pytest settings: ``PYTEST_ADDOPTS`` (a
``--durations`` there adds lines naming tests to the child's output), pytest-xdist's
``PYTEST_XDIST_*``, ``PYTEST_CURRENT_TEST``, ``PYTEST_PLUGINS``: ``without_pytest_settings``
drops every ``PYTEST_*`` variable. The child's run is judged by its exit code and its final
summary line (``outcome``), never by a word anywhere in its output (a test id such as
``payment_failed`` holds "failed").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_COUNT = re.compile(r"(\d+) (passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?)")
_PLURAL = {"error": "errors", "warning": "warnings"}


def without_pytest_settings(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the outer pytest's ``PYTEST_*`` variables."""
    return {k: v for k, v in env.items() if not k.startswith("PYTEST_")}


def outcome(stdout: str) -> dict[str, int]:
    """The counts of pytest's final summary line (``3 passed, 1 skipped in 0.52s``) by word,
    ``error`` and ``warning`` counted as ``errors`` and ``warnings``; an AssertionError when the
    output does not end with such a line."""
    lines = [line.strip("= ") for line in stdout.splitlines() if line.strip("= ")]
    last = lines[-1] if lines else ""
    counts = {_PLURAL.get(word, word): int(n) for n, word in _COUNT.findall(last)}
    if not counts or not re.search(r" in [\d.]+s", last):
        raise AssertionError(f"no pytest summary line at the end of:\n{stdout[-3000:]}")
    return counts
