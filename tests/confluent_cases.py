"""Where evreg's verdict on Confluent's own compatibility cases (../shared/compat-cases) is not
Confluent's, and why: one list for the in-process conformance test and the HTTP one.

Imported as ``confluent_cases``: pytest puts ``tests/`` on ``sys.path`` for ``tests/conftest.py``.
"""

from __future__ import annotations

from typing import Any

# Cases where Confluent's verdict is semantically wrong (an event valid under the original is
# rejected by the update) and evreg says so: case description -> the rule that shows it.
DIFFERENCES = {
    "Detect required array to be changed": "REQUIRED_UNDECLARED_PROPERTY_ADDED",
}


def expected(case: dict[str, Any], key: str) -> bool:
    """Confluent's verdict (``key`` is compatible or compatible_lenient), or evreg's where it
    differs (always: not compatible)."""
    return bool(case[key]) and case["description"] not in DIFFERENCES
