"""``schemathesis run URL/openapi.json --max-examples 25`` against a live ``evreg serve``, on
SQLite and PostgreSQL, with no other option (issue 15) but ``--phases`` (its phases run as two
parts side by side: ``PARTS`` below), from the repository's root as README and docs/api.md write
it: every phase passes (examples, coverage, fuzzing, stateful), every check on, on every
operation.

The OpenAPI document says exactly what the server accepts and answers (a 405 says ``Allow``;
bodies refuse unknown fields and say so; ``/api/audit/stream`` is an event stream that ends
after ``wait`` seconds with no new entry). What JSON Schema cannot state (a schema text that is
not a valid document, a reference to a missing version, IMPORT while subjects exist, unpaired
``key``/``value``: Confluent's 422s) is the one expectation the root ``schemathesis.toml``
widens; the file says why.

The in-process suites (``test_schemathesis.py``) run more examples with tailored data; this one
is the command a user or an auditor runs, exactly as issue 15 ran it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import running_registry, without_evreg_env

from .conftest import new_database

ROOT = Path(__file__).resolve().parents[3]  # the repository: its schemathesis.toml


# The command as README.md and docs/api.md write it (their URL is the registry's default)
COMMAND = "schemathesis run {url}/openapi.json --max-examples 25"
DOCUMENTED_URL = "http://127.0.0.1:8081"


def test_the_docs_give_this_command() -> None:
    for doc in ("README.md", "docs/api.md"):
        text = " ".join((ROOT / doc).read_text(encoding="utf-8").split())
        assert COMMAND.format(url=DOCUMENTED_URL) in text, doc


# The command runs its phases one after the other in one process (examples, coverage, fuzzing,
# stateful; the document has no examples, so the first is skipped, as in a whole run). Here they
# run as two parts, each the command plus `--phases`, on a server of its own: the parts are
# independent (each phase tests every operation alone, the stateful one builds its own chains),
# and two workers run them side by side instead of one worker running the whole for minutes
# (with `--dist worksteal` the suite's wall time is at least its longest test). Together the
# parts run every phase, every check and every operation of the command.
# The command's environment: what it needs of this one (PATH, HOME, the locale, TMPDIR and
# Python's own PYTHON* settings), and NO_COLOR. Not the rest: requests looks through every
# environment variable twice per request for proxy settings (urllib's getproxies_environment:
# ~120 us with a shell's 35 variables, ~14 us with 3), and the coverage phase sends ~24,000
# requests; a proxy variable would also send the requests to 127.0.0.1 through the proxy.
def command_env() -> dict[str, str]:
    kept = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in kept or k.startswith(("LC_", "PYTHON"))}
    return {**env, "NO_COLOR": "1"}


PARTS = {"coverage": ["examples", "coverage"], "fuzzing-stateful": ["fuzzing", "stateful"]}
RUN = {"coverage": "Coverage", "fuzzing": "Fuzzing", "stateful": "Stateful"}  # as it prints them


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_schemathesis_cli_passes_against_a_live_server(
    kind: str, part: str, tmp_path: Path
) -> None:
    command = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    phases = PARTS[part]
    with (
        new_database(kind, tmp_path) as url,
        running_registry(url, tmp_path / "serve.log", env=without_evreg_env(), via="serve") as srv,
    ):
        done = subprocess.run(
            [command, *COMMAND.format(url=srv.url).split()[1:], "--phases", ",".join(phases)],
            capture_output=True,
            text=True,
            timeout=1500,
            cwd=ROOT,  # where a user runs it; schemathesis reads the root's schemathesis.toml
            env=command_env(),
        )
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-80:])
    assert done.returncode == 0, tail
    for phase in phases:  # each phase of this part ran (none skipped)
        if phase in RUN:
            assert f"✅  {RUN[phase]}" in done.stdout, tail
    selected = re.search(r"Selected: (\d+)/(\d+)", done.stdout)
    assert selected, tail  # every operation, the audit stream included
    assert selected[1] == selected[2], selected[0]


def test_the_parts_are_every_phase_once() -> None:
    phases = [phase for part in PARTS.values() for phase in part]
    assert sorted(phases) == sorted(["examples", "coverage", "fuzzing", "stateful"])
