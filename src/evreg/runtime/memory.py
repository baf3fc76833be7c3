"""An in-memory transport: the default, for tests and local runs. No broker, same semantics.

Subjects match NATS-style: ``*`` is one token, ``>`` the rest (``orders.*``, ``orders.>``).
Each subscription has its own queue and worker task, so handlers run one at a time per
subscription and a slow handler never blocks ``publish``. A handler that raises is retried
(``attempt`` + 1) until ``max_attempts``, then dropped with an error log. ``published`` keeps
every message sent and ``dead_letters`` every dead letter, for assertions; ``drain()`` waits
until every queued message is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from evreg.runtime.transport import ChannelOptions, Delivery, DeliveryHandler, TransportError

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
    durable: str | None
    max_attempts: int
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    stopped: bool = False
    pending: int = 0  # queued or being handled

    def delivery(self, sent: Delivery) -> Delivery:
        """``sent`` as this member receives it (its group and durable name)."""
        return Delivery(
            sent.subject,
            sent.body,
            sent.headers,
            sent.attempt,
            self.max_attempts > 1,
            group=self.group,
            durable=self.durable,
            key=sent.key,
        )

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
                    redeliverable=delivery.attempt + 1 < self.max_attempts,
                    group=self.group,
                    durable=self.durable,
                    key=delivery.key,
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
    """A broker in this process."""

    system = "memory"

    def __init__(self) -> None:
        self.members: list[_Member] = []
        self.published: list[Delivery] = []
        self.dead_letters: list[Delivery] = []
        self._round_robin: dict[tuple[str, str], itertools.count[int]] = {}
        self._closed = False

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        options: ChannelOptions | None = None,
    ) -> None:
        if self._closed:
            raise TransportError("the in-memory transport is closed")
        key = None if options is None or options.key is None else options.key.encode()
        sent = Delivery(subject, bytes(body), dict(headers), key=key)
        self.published.append(sent)
        groups: dict[tuple[str, str], list[_Member]] = {}
        for member in self.members:
            if not subject_matches(member.pattern, subject):
                continue
            if member.durable is None:
                member.put(member.delivery(sent))
            else:
                groups.setdefault((member.pattern, member.durable), []).append(member)
        for name, members in groups.items():
            turn = next(self._round_robin.setdefault(name, itertools.count()))
            chosen = members[turn % len(members)]
            chosen.put(chosen.delivery(sent))

    async def subscribe(
        self,
        subject: str,
        handler: DeliveryHandler,
        *,
        group: str | None = None,
        durable: str | None = None,
        max_attempts: int = 3,
        options: ChannelOptions | None = None,
    ) -> _Member:
        if self._closed:
            raise TransportError("the in-memory transport is closed")
        member = _Member(self, subject, handler, group, durable or group, max_attempts + 1)
        member.task = asyncio.get_running_loop().create_task(member.run())
        self.members.append(member)
        return member

    async def dead_letter(self, delivery: Delivery, headers: Mapping[str, str]) -> None:
        """Keep the dead letter in ``dead_letters`` (body as received, ``headers`` given)."""
        self.dead_letters.append(
            Delivery(
                delivery.subject,
                delivery.body,
                dict(headers),
                delivery.attempt,
                group=delivery.group,
                durable=delivery.durable,
                key=delivery.key,
            )
        )

    async def drain(self) -> None:
        """Wait until every message published so far (and its retries) has been handled."""
        while any(m.pending for m in self.members):
            await asyncio.gather(*(m.queue.join() for m in list(self.members)))

    async def close(self) -> None:
        self._closed = True
        for member in list(self.members):
            await member.stop()
