"""A producer given a registry looks its schema id up under the payload subject a push registers
(``<topic>-value``, ``evreg.contracts.topics``), also for an address with parameters and ``/``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from evreg.runtime.schema_ids import RegistrySchemaIds
from servers import RegistryProcess

CONTRACT = """\
asyncapi: 3.1.0
info: {title: Lights, version: 1.0.0}
servers:
  broker: {host: mqtt.example.com, protocol: mqtt}
channels:
  measured:
    address: lights/{streetlightId}/measured
    parameters: {streetlightId: {}}
    messages:
      m: {payload: {type: object, properties: {lumens: {type: integer}}}}
operations:
  send: {action: send, channel: {$ref: '#/channels/measured'}}
"""


def test_the_runtime_lookup_names_the_subject_a_push_registers(
    tmp_path: Path, registry_process: Callable[..., RegistryProcess]
) -> None:
    server = registry_process(f"sqlite:///{tmp_path / 'registry.db'}")
    body = {"schema": CONTRACT, "schemaType": "ASYNCAPI"}
    httpx.post(f"{server.url}/subjects/lights/versions", json=body, timeout=60).raise_for_status()
    subjects = httpx.get(f"{server.url}/subjects", timeout=60).json()
    assert "lights.streetlightId.measured-value" in subjects
    latest = httpx.get(
        f"{server.url}/subjects/lights.streetlightId.measured-value/versions/latest", timeout=60
    ).json()

    async def lookup() -> int | None:
        ids = RegistrySchemaIds(server.url)
        return await ids.id_for("lights/{streetlightId}/measured")

    assert asyncio.run(lookup()) == latest["id"]
