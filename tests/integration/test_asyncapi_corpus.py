"""Every document of the third-party-shaped AsyncAPI corpus through every command (issue 17).

``tests/fixtures/asyncapi-corpus/`` holds AsyncAPI 2.6, 3.0 and 3.1 documents written as the
AsyncAPI project's and its users' published examples are (multi-file projects with
``../common``, parameters, Kafka/AMQP/MQTT/NATS/WebSocket bindings, request/reply, security
schemes, traits, message sets, non-object payloads, Avro payloads, ``x-`` extensions). The
folder holds ``evreg.toml``: it is the project root the ``../common`` files are read within.

One test per command, each running every document (``evreg.cli.main.main``, the entry point
of the ``evreg`` executable, in this process, from the corpus folder, without the machine's
``EVREG_*`` settings; tests/integration/test_cli_*.py run the executable itself):

- ``compat DOC DOC`` exits 0;
- ``push DOC`` then ``check DOC`` against a live registry (one ``evreg serve``, emptied between
  documents: unrelated documents may use the same broker topic);
- ``generate --lang python`` once per document (a session fixture), then one ``mypy --strict``
  over every generated package and one pytest run of every generated contract test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from test_cli_helpers import clean_env

from evreg.cli.main import main
from inner_pytest import outcome, without_pytest_settings
from servers import RegistryProcess
from typecheck import mypy

CORPUS = Path(__file__).parents[1] / "fixtures" / "asyncapi-corpus"
DOCUMENTS = sorted(CORPUS.glob("v*/*.yaml"))
VERSIONS = {"v2.6": "2.6", "v3.0": "3.0", "v3.1": "3.1"}


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _package(path: Path) -> str:
    return "c_" + path.stem.replace("-", "_") + "_" + path.parent.name.replace(".", "")


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


Evreg = Callable[..., Done]


def _in_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("EVREG_") and n != "EVREG_NO_CACHE"]:
        monkeypatch.delenv(name)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(CORPUS)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Evreg:
    """``run(*args)``: ``evreg ARGS`` in the corpus folder (its project root), in this process:
    the exit code and what it printed. The environment is the one ``clean_env()`` gives the
    executable (no ``EVREG_*`` setting, no colour, 200 columns), except ``EVREG_NO_CACHE``
    (set for the whole suite: a check is run, never replayed from a cache)."""
    _in_the_corpus(monkeypatch)

    def evreg(*args: str | Path) -> Done:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return evreg


def test_the_corpus_is_as_varied_as_the_issue_asks() -> None:
    assert len(DOCUMENTS) >= 30
    texts = {p: p.read_text() for p in DOCUMENTS}
    for folder, version in VERSIONS.items():
        in_folder = [t for p, t in texts.items() if p.parent.name == folder]
        assert len(in_folder) >= 8
        assert all(t.startswith(f"asyncapi: {version}.") for t in in_folder), folder
    every = "\n".join(texts.values())
    for needle in ("../common/", "parameters:", "kafka:", "amqp:", "mqtt:", "ws:", "reply:",
                   "securitySchemes:", "traits:", "oneOf:", "anyOf:", "x-", "correlationId:",
                   "type: array", "type: integer\n          minimum: 0\n"):  # fmt: skip
        assert needle in every, needle


@pytest.mark.parametrize("document", DOCUMENTS, ids=_id)
def test_compat_of_a_document_with_itself_is_compatible(document: Path, run: Evreg) -> None:
    done = run("compat", document, document)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    folder = tmp_path_factory.mktemp("corpus-registry")
    server = RegistryProcess(
        f"sqlite:///{folder / 'registry.db'}", folder / "serve.log", env=clean_env()
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _empty(url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        for subject in http.get("/subjects").json():
            http.delete(f"/subjects/{subject}").raise_for_status()
            http.delete(f"/subjects/{subject}", params={"permanent": "true"}).raise_for_status()
        assert http.get("/subjects").json() == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=_id)
def test_push_then_check_against_a_live_registry(
    document: Path, registry: RegistryProcess, run: Evreg
) -> None:
    _empty(registry.url)
    pushed = run("push", document, "--registry", registry.url)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert pushed.stdout.startswith("REGISTERED"), pushed.stdout
    with httpx.Client(base_url=registry.url, timeout=60) as http:
        subjects = http.get("/subjects").json()
    # every subject (the contract's and its payloads') is a name a Kafka topic could carry
    assert all(s.replace("-", "").replace(".", "").replace("_", "").isalnum() for s in subjects)
    checked = run("check", document, "--registry", registry.url)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus document generated as its own Python package, side by side."""
    out = tmp_path_factory.mktemp("corpus-generated")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _in_the_corpus(monkeypatch)
        for document in DOCUMENTS:
            args = ["generate", str(document), "--lang", "python", "-o", str(out)]
            assert main([*args, "--package", _package(document)]) == 0, _id(document)
    return out


def test_generate_then_mypy_strict_on_every_package(
    generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    packages = sorted(p.name for p in generated.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(_package(d) for d in DOCUMENTS)
    done = mypy(tmp_path_factory, "strict", "--strict", *packages, cwd=generated, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


def test_generate_then_the_generated_contract_tests_pass(generated: Path) -> None:
    env = {**without_pytest_settings(os.environ), "EVREG_CONTRACT_EXAMPLES": "5"}
    env.pop("EVREG_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "."],
        cwd=generated,
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert outcome(done.stdout).get("passed", 0) > 0
