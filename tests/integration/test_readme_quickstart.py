"""README.md's quickstart, walked as a new user does: the ``sh`` blocks under "## Quickstart" are
read from the README itself (so the two cannot drift) and each command runs as written, in
order, with bash, in a fresh copy of the repository (pyproject.toml, README.md, src/,
contracts/, as a clone has them).

The slow part is shared, not skipped: ``python3 -m venv .venv`` makes a fresh venv and
``.venv/bin/pip install -e ".[server,codegen]"`` runs as written (it builds and installs evreg
itself), but the packages those extras require are already on ``PYTHONPATH``: a folder holding
exactly the distributions the README's extras declare (transitively, linked from this suite's
venv, tests/envs.py), so pip finds them satisfied instead of downloading them. An extra left out
of the README leaves its packages out, and the command that needs them fails (what happened to
``evreg generate`` with ``.[server]`` only).

Step 1 starts ``evreg serve`` on the README's port, 8081 (skipped when that port is taken), and
walks the second block, then the edit the README describes (``evreg check`` exits 1 with a
witness). Step 2 (install the dev extras, run the whole suite) is what CI itself runs on every
submission: it is not run again here (it would run this suite inside itself); the test checks
that it is the same install and command as .ci/run's.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envs import closure, link, project_requirements

REPO = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:8081"


def quickstart_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", section, re.MULTILINE | re.DOTALL)
    return [re.sub(r"(?m)^ +", "", block).strip() for block in blocks]


def commands(block: str) -> list[str]:
    """One command per line, without its trailing ``# comment``."""
    out = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(line.split("  #", 1)[0].strip())
    return out


def extras_of(command: str) -> list[str]:
    found = re.search(r'pip install -e "\.\[([a-z,]+)\]"', command)
    assert found, f'no `pip install -e ".[...]"` in {command!r}'
    return found.group(1).split(",")


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _env(site: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EVREG_", "PYTHON", "VIRTUAL_ENV")) and k != "COLUMNS"
    }
    env.update(PYTHONPATH=str(site), NO_COLOR="1", COLUMNS="200", PIP_NO_COMPILE="1")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p
    )
    return env


def _bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    root = tmp_path / "evreg"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, root / name)
    for folder in ("src", "contracts"):
        shutil.copytree(
            REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return root


def test_the_readme_quickstart_works_as_written(clone: Path, tmp_path: Path) -> None:
    blocks = quickstart_blocks()
    assert len(blocks) == 3, blocks  # install and serve; the second terminal; the tests
    serve_block, walk_block, _ = blocks
    if _port_taken(8081):
        pytest.skip("port 8081 (the README's registry) is taken on this machine")

    site = tmp_path / "declared"
    env = _env(site)
    version = _bash('python3 -c "import sys; print(sys.version_info[:2])"', clone, env)
    if version.stdout.strip() != str(sys.version_info[:2]):  # the linked extensions are ours
        pytest.skip(f"python3 here is {version.stdout.strip()}, this suite runs on {sys.version}")
    extras = extras_of(serve_block)
    link(closure(project_requirements(REPO / "pyproject.toml", extras)), site)

    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        ["bash", "-c", serve_block],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its process group is stopped at the end
    )
    try:
        deadline = time.monotonic() + 600
        while not _port_taken(8081):
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-4000:]
            assert time.monotonic() < deadline, "evreg serve did not start"
            time.sleep(0.5)
        assert (clone / ".venv" / "bin" / "evreg").exists()
        _walk(commands(walk_block), clone, env)
        _edit_and_check(clone, env)
    finally:
        os.killpg(serve.pid, 15)
        serve.wait(timeout=60)
        log.close()
    assert URL in (tmp_path / "serve.log").read_text()  # "It prints the URL"


def _walk(lines: list[str], clone: Path, env: dict[str, str]) -> None:
    expected = {
        ".venv/bin/evreg subjects": lambda out: (
            "order_placed" in out.split() and "orders.placed-value" in out.split()
        ),
        ".venv/bin/evreg push contracts/order_placed.yaml": lambda out: out.startswith("UNCHANGED"),
        ".venv/bin/evreg check contracts/": lambda out: "0 incompatible" in out,
        f"curl -s {URL}/subjects/orders.placed-value/versions/latest": lambda out: (
            '"subject":"orders.placed-value"' in out.replace(" ", "")
        ),
        ".venv/bin/evreg generate --lang python": lambda out: out.startswith("generated/events: "),
    }
    assert lines == list(expected), "the README's second block changed: update this test"
    for line in lines:
        done = _bash(line, clone, env)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        assert expected[line](done.stdout), f"{line}\n{done.stdout}"
    assert (clone / "generated" / "events" / "models.py").is_file()
    assert (clone / "generated" / "events" / "pyproject.toml").is_file()


def _edit_and_check(clone: Path, env: dict[str, str]) -> None:
    """ "Edit contracts/order_placed.yaml (remove a currency enum value ...) and run evreg
    check again: it exits 1 and shows the finding with its witness"."""
    contract = clone / "contracts" / "order_placed.yaml"
    text = contract.read_text()
    enum = re.search(r"enum: \[([A-Z, ]+)\]", text)
    assert enum, "no currency enum in contracts/order_placed.yaml"
    values = [v.strip() for v in enum.group(1).split(",")]
    contract.write_text(text.replace(enum.group(0), f"enum: [{', '.join(values[:-1])}]"))
    done = _bash(".venv/bin/evreg check contracts/", clone, env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ENUM_ARRAY_NARROWED" in done.stdout and "witness" in done.stdout
    assert f'"{values[-1]}"' in done.stdout  # the witness uses the removed value
    contract.write_text(text)


def test_step_2_is_what_ci_runs() -> None:
    """Step 2 is what CI runs: .ci/run makes the venv and installs these same extras with
    pip, then runs the suite, which includes this test."""
    block = quickstart_blocks()[2]
    venv, install, last = [part.strip() for part in block.split("&&")]
    assert venv == "python3 -m venv .venv"
    assert install == f'.venv/bin/pip install -e ".[{",".join(extras_of(block))}]"'
    assert last.startswith(".venv/bin/python -m pytest")
    ci = (REPO / ".ci" / "run").read_text()
    assert f'-e ".[{",".join(extras_of(block))}]"' in ci
    assert last in ci  # the README's test command is CI's, word for word
