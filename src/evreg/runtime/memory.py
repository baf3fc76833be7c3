"""An in-memory transport: the default, for tests and local runs. No broker, same semantics.

Subjects match NATS-style: ``*`` is one token, ``>`` the rest (``orders.*``, ``orders.>``).
Each subscription has its own queue and worker task, so handlers run one at a time per
subscription and a slow handler never blocks ``publish``. A handler that raises is retried
(``attempt`` + 1) until ``max_attempts``, then dropped with an error log. ``published`` keeps
every message sent, for assertions; ``drain()`` waits until every queued message is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from evreg.runtime.transport import Delivery, DeliveryHandler, TransportError

log = logging.getLogger("evreg.runtime.memory")


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: ``*`` matches one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">" and i == len(want) - 1:
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


@dataclass(slots=True, eq=False)
class _Member:
    transport: InMemoryTransport
    pattern: str
    handler: DeliveryHandler
    group: str | None
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    stopped: bool = False
    pending: int = 0  # queued or being handled

    def put(self, delivery: Delivery) -> None:
        self.pending += 1
        self.queue.put_nowait(delivery)

    async def run(self) -> None:
        while True:
            delivery = await self.queue.get()
            try:
                if delivery is None:
                    return
                await self.handle(delivery)
            finally:
                if delivery is not None:
                    self.pending -= 1
                self.queue.task_done()

    async def handle(self, delivery: Delivery) -> None:
        try:
            await self.handler(delivery)
        except Exception:
            if delivery.redeliverable and not self.stopped:
                retry = Delivery(
                    delivery.subject,
                    delivery.body,
                    delivery.headers,
                    attempt=delivery.attempt + 1,
                    redeliverable=delivery.attempt + 1 < self.transport.max_attempts,
                )
                self.put(retry)
            else:
                log.exception(
                    "handler failed on %s (attempt %d); message dropped",
                    delivery.subject,
                    delivery.attempt,
                )

    async def stop(self) -> None:
        """Handle what is queued, then stop the worker."""
        if self.stopped:
            return
        self.stopped = True
        self.transport.members.remove(self)
        self.queue.put_nowait(None)
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class InMemoryTransport:
    """A broker in this process. ``max_attempts`` bounds redeliveries of a failing handler."""

    def __init__(self, *, max_attempts: int = 3) -> None:
        self.max_attempts = max_attempts
        self.members: list[_Member] = []
        self.published: list[Delivery] = []
        self._round_robin: dict[tuple[str, str], itertools.count[int]] = {}
        self._closed = False

    async def publish(self, subject: str, body: bytes, headers: Mapping[str, str]) -> None:
        if self._closed:
            raise TransportError("the in-memory transport is closed")
        delivery = Delivery(subject, bytes(body), dict(headers), 1, self.max_attempts > 1)
        self.published.append(delivery)
        groups: dict[tuple[str, str], list[_Member]] = {}
        for member in self.members:
            if not subject_matches(member.pattern, subject):
                continue
            if member.group is None:
                member.put(delivery)
            else:
                groups.setdefault((member.pattern, member.group), []).append(member)
        for key, members in groups.items():
            turn = next(self._round_robin.setdefault(key, itertools.count()))
            members[turn % len(members)].put(delivery)

    async def subscribe(
        self, subject: str, handler: DeliveryHandler, *, group: str | None = None
    ) -> _Member:
        if self._closed:
            raise TransportError("the in-memory transport is closed")
        member = _Member(self, subject, handler, group)
        member.task = asyncio.get_running_loop().create_task(member.run())
        self.members.append(member)
        return member

    async def drain(self) -> None:
        """Wait until every message published so far (and its retries) has been handled."""
        while any(m.pending for m in self.members):
            await asyncio.gather(*(m.queue.join() for m in list(self.members)))

    async def close(self) -> None:
        self._closed = True
        for member in list(self.members):
            await member.stop()
