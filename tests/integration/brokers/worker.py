"""One consumer service, run as a child process by the broker tests (so it can be SIGKILLed).

    python worker.py CONFIG_JSON

CONFIG_JSON holds: ``package_dir`` and ``package`` (the generated parcels package),
``broker`` (``nats``, ``jetstream``, ``amqp``, ``mqtt``, ``kafka``) and its ``options``, ``group``,
``member``, ``delay`` (seconds each handler takes, so that a backlog builds up and the killed
member dies holding messages) and ``out``: a file this process appends one line to per event,
in one ``write`` each (so lines of several processes never interleave):

- ``ready <member>`` once subscribed;
- ``handled <channel> <parcelId> <member> <attempt>`` when a handler returned;
- ``failed <channel> <parcelId> <member> <attempt>`` when it raised (``flaky`` parcels on their
  first attempt, ``poison`` parcels always).

SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import sys
from typing import Any

from evreg.runtime import Transport


async def connect(broker: str, options: dict[str, Any]) -> Transport:
    """The transport for ``broker``, built from JSON-able ``options`` (shared with the tests)."""
    if broker in ("nats", "jetstream"):
        from evreg.runtime.nats import NatsTransport

        return await NatsTransport.connect(jetstream=broker == "jetstream", **options)
    if broker == "amqp":
        from evreg.runtime.amqp import AmqpTransport

        return await AmqpTransport.connect(**options)
    if broker == "mqtt":
        from evreg.runtime.mqtt import MqttTransport

        return await MqttTransport.connect(**options)
    if broker == "kafka":  # not in the kill test (see docs/codegen.md); kept for trying it
        from evreg.runtime.kafka import KafkaTransport

        return KafkaTransport(**options)
    raise ValueError(f"unknown broker {broker!r}")


async def serve(config: dict[str, Any]) -> None:
    sys.path.insert(0, config["package_dir"])
    package = importlib.import_module(config["package"])
    member = config["member"]
    options = dict(config["options"])
    if config["broker"] == "mqtt":  # a stable client id per member: its session survives it
        options["client_id"] = f"{config['group']}-{member}"
    transport = await connect(config["broker"], options)
    consumer = package.Consumer(transport, group=config["group"], max_attempts=3)
    out = os.open(config["out"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def line(text: str) -> None:
        os.write(out, (text + "\n").encode())

    async def handle(channel: str, parcel: Any) -> None:
        received = package.current_message()
        await asyncio.sleep(config["delay"])
        facts = f"{channel} {parcel.parcel_id} {member} {received.attempt}"
        mode = parcel.mode.value
        if mode == "poison" or (mode == "flaky" and received.attempt == 1):
            line(f"failed {facts}")
            raise RuntimeError(f"{mode} parcel {parcel.parcel_id}")
        line(f"handled {facts}")

    @consumer.on_parcel_scanned
    async def scanned(parcel: Any) -> None:
        await handle("scanned", parcel)

    @consumer.on_parcel_delivered
    async def delivered(parcel: Any) -> None:
        await handle("delivered", parcel)

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await consumer.start()
    line(f"ready {member}")
    await stop.wait()
    await consumer.stop()
    await transport.close()


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.argv[1])))
