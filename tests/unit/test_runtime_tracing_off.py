"""A consumer without an OpenTelemetry SDK: the incoming trace context still reaches the
handler (so a message it publishes carries the same ``traceparent``), and a provider set while
the consumer runs records spans from then on.

In a fresh interpreter: the test process sets a global SDK provider (``tracing_sdk``) once it is
imported, and OpenTelemetry lets a process set it only once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, json
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from pydantic import BaseModel
    from evreg.runtime import BaseConsumer, BaseProducer, InMemoryTransport, MessageSpec
    from evreg.runtime import OperationSpec

    class Parcel(BaseModel):
        parcel_id: str

    IN = OperationSpec("in", "parcels.in", (MessageSpec("In", Parcel),))
    OUT = OperationSpec("out", "parcels.out", (MessageSpec("Out", Parcel),))
    PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    seen = []

    async def main(exporter):
        transport = InMemoryTransport()
        consumer = BaseConsumer(transport)

        async def relay(parcel):
            seen.append(trace.get_current_span().get_span_context().trace_id)
            await BaseProducer(transport)._send(OUT, parcel)

        consumer._register(IN, relay)
        await consumer.start()
        body = b'{"parcel_id": "p-1"}'
        await transport.publish("parcels.in", body, {"traceparent": PARENT}, None)
        await transport.publish("parcels.in", body, {}, None)  # no incoming trace
        await transport.drain()
        provider = TracerProvider()  # set while the consumer runs: spans from now on
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        await transport.publish("parcels.in", body, {"traceparent": PARENT}, None)
        await transport.drain()
        await consumer.stop()
        out = [dict(d.headers) for d in transport.published if d.subject == "parcels.out"]
        spans = [s.name for s in exporter.get_finished_spans()]
        print(json.dumps({"out": out, "seen": seen, "spans": spans}))

    asyncio.run(main(InMemorySpanExporter()))
    """
)


def test_without_an_sdk_the_incoming_trace_reaches_the_handler() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    trace_id = int("0af7651916cd43dd8448eb211c80319c", 16)
    first, second, third = result["out"]
    # no SDK: the handler runs in the incoming (non-recording) span, and passes it on as is
    assert first["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert "traceparent" not in second  # none came in, none goes out
    assert result["seen"][:2] == [trace_id, 0]
    # an SDK set later: the consumer's span is recorded, a child of the incoming trace
    assert result["seen"][2] == trace_id
    assert third["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert third["traceparent"] != first["traceparent"]  # the new CONSUMER span's id
    assert result["spans"] == ["parcels.out publish", "parcels.in process"]
