"""Code generation: names, bundling, models, determinism, hostile contracts, the CLI."""

from __future__ import annotations

import ast
import hashlib
import importlib
import os
import subprocess
import sys
import uuid
from datetime import UTC
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import evreg
from evreg.cli.main import main
from evreg.codegen import (
    CodegenError,
    SourceContract,
    naming,
    plan_python,
    subject_for,
    write_package,
)
from evreg.codegen.python.templates import docstring
from evreg.codegen.schemas import bundle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codegen"
REPO = Path(__file__).resolve().parents[2]


def source(path: Path) -> SourceContract:
    contract = evreg.load_contract(path.read_text(encoding="utf-8"), name=path.name)
    return SourceContract(contract, path.name, subject_for(path.name, contract.document))


def text_source(text: str, name: str = "inline.yaml") -> SourceContract:
    contract = evreg.load_contract(text, name=name)
    return SourceContract(contract, name, subject_for(name, contract.document))


def generate(tmp_path: Path, *sources: SourceContract, package: str | None = None) -> ModuleType:
    """Write a package with a unique name and import it."""
    name = package or f"gen_{uuid.uuid4().hex[:12]}"
    write_package(plan_python(sources, package=name), tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


# --- names and literals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pascal", "snake"),
    [
        ("orderPlaced", "OrderPlaced", "order_placed"),
        ("publishOrderPlaced", "PublishOrderPlaced", "publish_order_placed"),
        ("URLConfig v2", "URLConfigV2", "url_config_v2"),
        ("class", "Class", "class_"),
        ("1st", "Schema1St", "op_1_st"),
        ("None", "NoneModel", "none"),
        ("Field", "FieldModel", "field"),
        ("", "Schema", "op_"),
        ('"""; import os', "ImportOs", "import_os"),
        ("list", "List", "list_"),
        ("match", "Match", "match_"),
    ],
)
def test_identifiers(text: str, pascal: str, snake: str) -> None:
    assert naming.pascal(text) == pascal
    assert naming.snake(text) == snake
    assert pascal.isidentifier() and snake.isidentifier()


@given(st.text())
def test_string_literals_are_safe(value: str) -> None:
    literal = naming.py_str(value)
    assert ast.literal_eval(literal) == value
    assert all(" " <= c <= "~" for c in literal)  # one line, printable ASCII, no bidi tricks


@given(st.text())
def test_comments_and_docstrings_stay_inert(value: str) -> None:
    assert "\n" not in naming.comment_text(value)
    doc = docstring(value, 8)
    tree = ast.parse(f"def f():\n        {doc}\n        pass\n")
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef) and len(function.body) == 2


# --- bundling and names ------------------------------------------------------------------


def test_names_across_contracts() -> None:
    bundled = bundle(
        [source(FIXTURES / "orders.asyncapi.yaml"), source(FIXTURES / "payments.asyncapi.yaml")]
    )
    classes = {(m.contract, m.name): (m.payload_class, m.headers_class) for m in bundled.messages}
    # two different OrderPlaced payloads: both prefixed with their contract, not by position
    assert classes[(0, "OrderPlaced")] == ("OrdersServiceOrderPlaced", "EventHeaders")
    assert classes[(1, "OrderPlaced")] == ("PaymentsServiceOrderPlaced", None)
    # the trait's headers are shared by two messages: one class, named after the trait
    assert (
        classes[(1, "PaymentAuthorized")][1] == classes[(1, "PaymentFailed")][1] == "CommonHeaders"
    )
    names = [entity.name for entity in bundled.entities]
    assert len(names) == len(set(names))
    assert "OrdersServiceMoney" in names and "PaymentsServiceMoney" in names


SHARED = """
asyncapi: 3.0.0
info: {title: shared, version: 1.0.0}
channels:
  a: {address: a.created, messages: {Created: {$ref: '#/components/messages/Created'}}}
  b: {address: b.created, messages: {Copied: {$ref: '#/components/messages/Copied'}}}
operations:
  sendA: {action: send, channel: {$ref: '#/channels/a'}}
  sendB: {action: send, channel: {$ref: '#/channels/b'}}
components:
  messages:
    Created: {payload: {$ref: '#/components/schemas/Thing'}}
    Copied: {payload: {$ref: '#/components/schemas/Thing'}}
  schemas:
    Thing:
      type: object
      required: [id]
      properties: {id: {type: string, format: uuid}}
"""


def test_a_payload_shared_by_two_messages_is_one_class(tmp_path: Path) -> None:
    package = generate(tmp_path, text_source(SHARED))
    source_text = Path(package.models.__file__).read_text()
    assert source_text.count("class Thing(") == 1
    spec_a = package.producer._CREATED
    spec_b = package.producer._COPIED
    assert spec_a.messages[0].payload is spec_b.messages[0].payload is package.models.Thing


def test_identical_schemas_of_two_contracts_are_merged() -> None:
    one = text_source(SHARED, "one.yaml")
    two = text_source(SHARED.replace("title: shared", "title: other"), "two.yaml")
    names = [entity.name for entity in bundle([one, two]).entities]
    assert names.count("Thing") == 1 and not any(
        n.endswith("Thing") and n != "Thing" for n in names
    )


# --- models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("orders")
    return generate(root, source(FIXTURES / "orders.asyncapi.yaml"))


def example_payload() -> dict[str, Any]:
    contract = evreg.load_contract((FIXTURES / "orders.asyncapi.yaml").read_text())
    payload: dict[str, Any] = contract.messages["OrderPlaced"].examples[0]["payload"]
    return payload


def test_models_keep_wire_names_and_types(orders: ModuleType) -> None:
    models = orders.models
    wire = example_payload()
    event = models.OrderPlaced.model_validate(wire, by_alias=True, by_name=False)
    assert event.placed_at.tzinfo is not None and event.placed_at.utcoffset() == UTC.utcoffset(None)
    assert isinstance(event.order_id, uuid.UUID)
    assert event.currency is models.OrderPlacedCurrency.EUR
    assert isinstance(event.payment, models.CardPayment)  # the discriminator picked the variant
    dumped = event.model_dump(mode="json", by_alias=True)
    assert set(dumped) == set(wire)  # camelCase keys, and no key the event did not have
    assert dumped["items"][0]["unitPrice"] == wire["items"][0]["unitPrice"]
    assert "couponCode" not in dumped  # optional and unset: left out, not null


def test_models_enforce_the_schema(orders: ModuleType) -> None:
    models = orders.models
    wire = example_payload()
    for broken in (
        {**wire, "placedAt": "2026-11-20T09:14:03"},  # naive date-time
        {**wire, "orderId": "not-a-uuid"},
        {**wire, "currency": "JPY"},
        {**wire, "items": []},
        {**wire, "payment": {"method": "cash"}},
        {**wire, "couponCode": 7},
    ):
        with pytest.raises(ValueError):
            models.OrderPlaced.model_validate(broken, by_alias=True, by_name=False)
    assert (
        models.OrderPlaced.model_validate(
            {**wire, "couponCode": None}, by_alias=True, by_name=False
        ).coupon_code
        is None
    )  # type: [string, null] keeps None


def test_python_names_construct_models(orders: ModuleType) -> None:
    models = orders.models
    money = models.Money(amount="1.00", currency="EUR")
    assert money.model_dump(by_alias=True) == {"amount": "1.00", "currency": "EUR"}
    headers = models.EventHeaders(event_id=uuid.uuid4(), correlation_id="c-1")
    assert set(headers.model_dump(by_alias=True)) == {"eventId", "correlationId"}


# --- determinism -------------------------------------------------------------------------


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def test_generating_twice_gives_the_same_files() -> None:
    sources = [
        source(FIXTURES / "orders.asyncapi.yaml"),
        source(FIXTURES / "payments.asyncapi.yaml"),
    ]
    assert plan_python(sources) == plan_python(list(sources))


def test_same_bytes_under_different_hash_seeds(tmp_path: Path) -> None:
    contracts = [str(FIXTURES / "orders.asyncapi.yaml"), str(FIXTURES / "payments.asyncapi.yaml")]
    digests = []
    for seed in ("0", "1", "4242"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "evreg.cli.main", "generate", *contracts, "-o", str(out)]
        subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
        digests.append(digest(out))
    assert len(set(digests)) == 1


def test_header_names_contract_fingerprint_and_version() -> None:
    orders = source(FIXTURES / "orders.asyncapi.yaml")
    plan = plan_python([orders])
    for item in plan.files:
        if item.path.endswith(".py"):
            head = item.content.splitlines()[:5]
            assert head[0].startswith(f"# Generated by evreg {evreg.__version__}")
            assert f"#   fingerprint: sha256:{orders.contract.fingerprint}" in head
            assert "# Contract: Orders service 1.4.0" in head


# --- hostile contracts -------------------------------------------------------------------


def test_hostile_contract_text_never_becomes_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = plan_python([source(FIXTURES / "hostile.asyncapi.yaml")], package="hostile")
    write_package(plan, out)
    for item in plan.files:
        if item.path.endswith(".py"):
            compile(item.content, item.path, "exec")
            tree = ast.parse(item.content)
            calls = [
                n.func.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            ]
            assert "__import__" not in calls and "print" not in calls, item.path
    script = """
import hostile
from hostile import models, producer, consumer
from evreg.runtime import OperationSpec
(spec,) = [v for v in vars(producer).values() if isinstance(v, OperationSpec)]
cls = spec.messages[0].payload
weird = '\"\"\"; __import__(\\'pathlib\\').Path(\\'PWNED\\').touch() #'
wire = {"class": "x", "1st": 1, weird: "w", "import": "a\\nb", "$ref": "r", "": "e"}
event = cls.model_validate(wire, by_alias=True, by_name=False)
dumped = event.model_dump(mode="json", by_alias=True)
assert {k: dumped[k] for k in wire} == wire, dumped
print("ok")
"""
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=out, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
    assert not list(out.rglob("PWNED")) and not (tmp_path / "PWNED").exists()


def test_external_refs_are_a_clear_error() -> None:
    text = """
asyncapi: 3.0.0
info: {title: ext, version: 1.0.0}
channels: {a: {address: a, messages: {M: {payload: {$ref: 'other.json#/X'}}}}}
"""
    contract = evreg.load_contract(text, references={"other.json": {"X": {"type": "object"}}})
    with pytest.raises(CodegenError, match="another document"):
        plan_python([SourceContract(contract, "ext.yaml", "ext")])


def test_bad_package_name() -> None:
    with pytest.raises(CodegenError, match="--package"):
        plan_python([source(FIXTURES / "orders.asyncapi.yaml")], package="class")


# --- the CLI -----------------------------------------------------------------------------


def test_cli_lists_languages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--lang", "list"]) == 0
    assert capsys.readouterr().out.split() == ["python", "typescript"]


def test_cli_unsupported_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = str(REPO / "contracts" / "order_placed.yaml")
    assert main(["generate", "--lang", "cobol", contract, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cobol" in err and "python" in err


def test_cli_writes_to_generated_without_an_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no evreg.toml here or above: the defaults
    for name in [k for k in os.environ if k.startswith("EVREG_")]:
        monkeypatch.delenv(name)
    assert main(["generate", str(REPO / "contracts" / "order_placed.yaml")]) == 0
    assert capsys.readouterr().out.startswith("generated/orders: ")
    assert (tmp_path / "generated" / "orders" / "models.py").is_file()


def test_cli_writes_then_skips_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = str(REPO / "contracts" / "order_placed.yaml")
    assert main(["generate", contract, "-o", str(tmp_path), "--package", "shop"]) == 0
    assert "9 files, 9 changed" in capsys.readouterr().out
    models = tmp_path / "shop" / "models.py"
    before = models.stat().st_mtime_ns
    assert main(["generate", contract, "-o", str(tmp_path), "--package", "shop"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["generate", contract, "-o", str(tmp_path), "--package", "shop", "--force"]) == 0
    assert "9 files, 0 changed" in capsys.readouterr().out
    assert models.stat().st_mtime_ns == before  # same bytes: not rewritten


def test_cli_invalid_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("asyncapi: 3.0.0\ninfo: [not, an, object]\n")
    assert main(["generate", str(bad), "-o", str(tmp_path / "out")]) == 2
    assert "bad.yaml" in capsys.readouterr().err
