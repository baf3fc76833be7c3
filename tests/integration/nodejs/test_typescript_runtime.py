"""``@evreg/runtime`` (js/runtime), the runtime generated TypeScript packages import.

- its own tests (``js/runtime/test``, ``node:test``): the delivery semantics of the Python
  runtime (groups share messages, every group gets every message, redelivery of a failing
  handler, dead letters with the ``evreg-dead-letter-*`` headers in the broker's dead-letter
  place, the correlation id carried on from a handled message) against real NATS (core and
  JetStream), RabbitMQ and Mosquitto, in memory, and Kafka through an in-memory client;
- the wire conventions, with the Python runtime as the oracle: Confluent framing, dead-letter
  subjects and subscription names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from evreg.runtime.kafka import frame

from . import node

pytestmark = pytest.mark.services

RUNTIME = node.JS / "runtime"


def test_the_runtime_semantics_on_every_broker(node_modules: Path) -> None:
    files = sorted(str(p.relative_to(RUNTIME)) for p in (RUNTIME / "test").glob("*.test.mjs"))
    assert {"memory.test.mjs", "nats.test.mjs", "amqp.test.mjs", "mqtt.test.mjs"} <= {
        Path(f).name for f in files
    }
    out = node.node("--test", "--test-reporter=tap", *files, cwd=RUNTIME, timeout=600)
    assert "# fail 0" in out and "# cancelled 0" in out, out[-4000:]
    if os.environ.get("EVREG_REQUIRE_SERVICES") == "1":
        assert "# skipped 0" in out, out[-4000:]
    assert int(out.split("# pass ")[1].split()[0]) >= 20, out[-4000:]


WIRE = """
import { frame } from "./dist/kafka.js";
import { subscriptionName, slug, deadLetterSubject } from "./dist/wire.js";
const [ids, names] = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  frames: ids.map((id) => Buffer.from(frame(id, Buffer.from('{"a":1}'))).toString("hex")),
  names: names.map(([group, address]) => subscriptionName(group, address)),
  slugs: names.map(([, address]) => slug(address)),
  dead: deadLetterSubject("evreg.dlq", undefined, "orders.placed"),
}));
"""


def convention_name(group: str, address: str) -> str:
    """runtime-conventions.md: ``<group>__<slug>``, over 200 characters cut with a hash."""
    name = f"{group}__{re.sub(r'[^A-Za-z0-9_-]+', '-', address).strip('-') or '-'}"
    if len(name) <= 200:
        return name
    return f"{name[:191]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def test_wire_conventions_match_the_python_runtime(node_modules: Path, tmp_path: Path) -> None:
    ids = [0, 1, 258, 2**31, 2**32 - 1]
    names = [
        ["billing", "orders.placed"],
        ["g-1", "lights/{id}/measured"],
        ["g", "..orders..{region}..placed.."],
        ["long", "a." * 150 + "end"],
    ]
    script = RUNTIME / f".wire-{os.getpid()}.mjs"
    script.write_text(WIRE, encoding="utf-8")
    try:
        out = json.loads(node.node(script.name, json.dumps([ids, names]), cwd=RUNTIME))
    finally:
        script.unlink()
    assert out["frames"] == [frame(i, b'{"a":1}').hex() for i in ids]
    assert out["names"] == [convention_name(g, a) for g, a in names]
    assert len(out["names"][-1]) == 200
    assert out["dead"] == "evreg.dlq._.orders.placed"
