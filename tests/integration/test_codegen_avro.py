"""Code generated from Avro payloads: the package passes ruff, ``mypy --strict`` and its own
contract tests, and its models hold exactly the Avro schema's values.

The oracle for "exactly" is fastavro, not evreg: random datums of each payload's Avro schema
(fastavro's ``generate_many``) are accepted by the generated model, and what the model dumps is
a valid datum again (``fastavro.validation.validate``); values Avro refuses (a symbol the enum
lacks, an int past 32 bits, a missing field without default) the model refuses too.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml
from fastavro.utils import generate_many
from fastavro.validation import validate
from pydantic import ValidationError

from evreg.cli.main import main
from inner_pytest import outcome, without_pytest_settings
from typecheck import mypy

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "tests" / "fixtures" / "avro" / "payments.asyncapi.yaml"
BIN = Path(sys.executable).parent
PACKAGE = "payments_avro"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("generated")
    assert main(["generate", str(CONTRACT), "-o", str(root), "--package", PACKAGE]) == 0
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _avro(message: str) -> Any:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return fastavro.parse_schema(document["components"]["messages"][message]["payload"]["schema"])


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = without_pytest_settings({k: v for k, v in os.environ.items() if k != "EVREG_URL"})
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def test_ruff_and_mypy_strict_are_clean(
    generated: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    third_party = "lint.isort.known-third-party = ['evreg']"
    config = str(REPO / "pyproject.toml")
    done = run(str(BIN / "ruff"), "check", "--config", config, "--config", third_party, ".",
               cwd=generated)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    mypy_ini = tmp_path / "mypy.ini"
    mypy_ini.write_text("[mypy]\nstrict = True\nplugins = pydantic.mypy\n")
    done = mypy(tmp_path_factory, "strict-pydantic", "--config-file", str(mypy_ini), "-p", PACKAGE,
                cwd=generated)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_generated_contract_tests_pass(generated: Path) -> None:
    done = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"{PACKAGE}/tests", cwd=generated)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert outcome(done.stdout).get("passed", 0) > 0


@pytest.mark.parametrize("message", ["PaymentMade", "RefundIssued"])
def test_models_hold_the_avro_values(generated: Path, message: str) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    model = getattr(models, message)
    schema = _avro(message)
    for datum in generate_many(schema, 200):
        event = model.model_validate(datum)
        dumped = json.loads(event.model_dump_json(by_alias=True))
        assert validate(dumped, schema, raise_errors=True, strict=True)


def test_models_refuse_what_avro_refuses(generated: Path) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    schema = _avro("PaymentMade")
    good = next(iter(generate_many(schema, 1)))
    for change in (
        {"status": "REFUNDED"},  # not a symbol
        {"cents": 2**63},  # past a long
    ):
        bad = {**good, **change}
        assert not validate(bad, schema, raise_errors=False, strict=True)
        with pytest.raises(ValidationError):
            models.PaymentMade.model_validate(bad)
    missing = {k: v for k, v in good.items() if k != "amount"}  # no default
    assert not validate(missing, schema, raise_errors=False, strict=True)
    with pytest.raises(ValidationError):
        models.PaymentMade.model_validate(missing)
    # a key the record has no field for: Avro's writers drop it silently, the model refuses it
    with pytest.raises(ValidationError):
        models.PaymentMade.model_validate({**good, "unknown": 1})
    refund = models.RefundIssued.model_validate({"payment": "p", "amount": 1.5, "reason": "FRAUD"})
    assert refund.reason.value == "FRAUD"


def test_a_payload_in_a_referenced_avsc_file(tmp_path: Path) -> None:
    user = {
        "type": "record",
        "name": "User",
        "namespace": "acme",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "email", "type": ["null", "string"], "default": None},
        ],
    }
    (tmp_path / "user.avsc").write_text(json.dumps(user), encoding="utf-8")
    (tmp_path / "api.yaml").write_text(
        "asyncapi: 3.0.0\n"
        "info: {title: Users, version: 1.0.0}\n"
        "channels:\n"
        "  users:\n"
        "    address: users\n"
        "    messages:\n"
        "      UserSignedUp:\n"
        "        payload:\n"
        "          schemaFormat: application/vnd.apache.avro;version=1.9.0\n"
        "          schema: {$ref: './user.avsc'}\n"
        "operations:\n"
        "  signUp: {action: send, channel: {$ref: '#/channels/users'}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        main(["generate", str(tmp_path / "api.yaml"), "-o", str(out), "--package", "users_avro"])
        == 0
    )
    done = run(sys.executable, "-c", "from users_avro.models import UserSignedUp as U; "
               "print(U.model_validate({'id': 1}).model_dump_json())", cwd=out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    dumped = json.loads(done.stdout)
    assert validate(dumped, fastavro.parse_schema(user), raise_errors=True, strict=True)
