"""Registry schema ids looked up at run time, for producers given a registry URL.

The id a producer sends (the ``evreg-schema-id`` header, and Confluent's frame on Kafka) is the
latest version of the channel's payload subject ``<topic>-value`` (what a registry push of
the contract registers, Confluent's topic-name strategy; the topic is the address as a Kafka
topic name: ``a/{id}/b`` -> ``a.id.b``, ``evreg.contracts.topics``), looked up through the
Confluent API ``GET /subjects/<subject>/versions/latest``: the behaviour of Confluent's
serializers with ``use.latest.version=true``. Ids are cached for ``ttl`` seconds; a subject
the registry does not have gives ``None`` (the producer then sends the id generated into the
code, if any).
"""

from __future__ import annotations

import time
import urllib.parse

import httpx

from evreg.contracts.topics import topic_like
from evreg.runtime.transport import TransportError

SUFFIX = "-value"


class SchemaIdLookupError(TransportError):
    """The registry could not be asked, or answered with an error other than 404."""


class RegistrySchemaIds:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        ttl: float = 300.0,
        timeout: float = 10.0,
    ) -> None:
        headers = {"Accept": "application/vnd.schemaregistry.v1+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self.ttl = ttl
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout)
        self._cache: dict[str, tuple[float, int | None]] = {}

    async def id_for(self, address: str) -> int | None:
        """The id of the latest version of ``<topic>-value``; ``None`` if no such subject."""
        subject = topic_like(address) + SUFFIX
        cached = self._cache.get(subject)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions/latest"
        try:
            response = await self._http.get(self.url + path)
        except httpx.HTTPError as exc:
            raise SchemaIdLookupError(f"registry {self.url}: {exc}") from exc
        if response.status_code == 404:
            found = None
        elif response.status_code == 200:
            found = int(response.json()["id"])
        else:
            raise SchemaIdLookupError(
                f"registry {self.url}{path}: HTTP {response.status_code} {response.text[:200]}"
            )
        self._cache[subject] = (time.monotonic(), found)
        return found

    async def close(self) -> None:
        await self._http.aclose()
