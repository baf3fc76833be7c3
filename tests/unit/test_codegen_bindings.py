"""AsyncAPI bindings read into the language-neutral plan (``evreg.codegen.bindings``): which
binding wins, what each becomes, and a binding evreg cannot use named by its place."""

from __future__ import annotations

from pathlib import Path

import pytest

import evreg
from evreg.codegen import SourceContract
from evreg.codegen.bindings import Bindings
from evreg.codegen.errors import CodegenError
from evreg.codegen.plan import build_plan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "runtime" / "bindings.asyncapi.yaml"

V2 = """
asyncapi: 2.6.0
info: {title: T, version: '1'}
channels:
  lights/{id}/state:
    parameters:
      id: {schema: {type: string}}
    bindings:
      amqp: {is: routingKey, exchange: {name: lights, type: topic}}
    subscribe:
      operationId: setLight
      bindings:
        mqtt: {qos: QOS, retain: false}
      message:
        name: Light
        x-evreg-key: $message.payload#/lamp
        payload: {type: object, properties: {lamp: {type: string}}}
"""


def bindings_of(text: str) -> dict[str, Bindings]:
    contract = evreg.load_contract(text, name="t.yaml")
    plan = build_plan([SourceContract(contract, "t", "t")])
    return {op.operation.key: op.bindings for op in plan.sends}


def test_the_fixture_bindings() -> None:
    found = bindings_of(FIXTURE.read_text())
    assert found["sendReading"] == Bindings(key_expression="$message.payload#/sensorId")
    assert found["sendFixed"] == Bindings(key="all-notes")
    assert found["sendGiven"] == Bindings(key_required=True)
    assert found["sendRouted"] == Bindings(
        exchange="bound-UID-direct",
        exchange_type="direct",
        queue="bound-UID-queue",
        routing_keys=("bound.UID.route-a", "bound.UID.route-b"),
    )
    assert found["sendState"] == Bindings(qos=2, retain=True)


def test_asyncapi_2_bindings_and_the_key_extension() -> None:
    found = bindings_of(V2.replace("QOS", "1"))
    assert found["setLight"] == Bindings(
        key_expression="$message.payload#/lamp",
        exchange="lights",
        exchange_type="topic",
        qos=1,
        retain=False,
    )


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("QOS", "3"), r"#/channels/lights~1\{id\}~1state/subscribe/bindings/mqtt/qos: qos must"),
        (("type: topic", "type: nowhere"), r"exchange/type: one of topic, direct"),
        (("$message.payload#/lamp", "lamp"), r"x-evreg-key: 'lamp' is not \$message"),
    ],
)
def test_a_binding_evreg_cannot_use_is_named(replace: tuple[str, str], message: str) -> None:
    text = V2.replace(*replace).replace("QOS", "1")
    with pytest.raises(CodegenError, match=message):
        bindings_of(text)
