"""Kafka consumer groups over a real Kafka-protocol broker (Tansu, see conftest.py): members
``A`` and ``B`` in group ``g1`` and ``C`` in group ``g2``, each handling both channels of the
parcels contract (``scanned.{hub}``, subscribed by regular expression, and ``delivered``), one
consumer group per (group, channel) as on every broker.

Each topic has two partitions and the record key is the parcel id (the contract's Kafka key
binding), so both members of ``g1`` get a share. What must hold, read from the handlers and
from the dead-letter topics with Confluent's own consumer:

- every event is handled by one member of each group or dead-lettered by it: losses 0,
  duplicates counted and reported (at least once);
- ``flaky`` events fail once and are handled on a later attempt (redelivery by seeking back);
- ``poison`` events are on the group's dead-letter topic ``<prefix>.<group>.<topic>`` after the
  third attempt, once per group, with the original value and key, the headers and the error.

The members all join before the first event is published (the test waits for every member's
partition assignment) and none is killed, so no rebalance happens during the run and the
exact counts hold (0 duplicates); ``test_groups_under_kill.py`` kills and restarts a member
on Kafka as on the other brokers.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic

from evreg.runtime.kafka import KafkaTransport

from .cluster import generate, mode

pytestmark = pytest.mark.services

EVENTS = 200
PARTITIONS = 2
ASSIGN_TIMEOUT = 60.0
SETTLE_TIMEOUT = 120.0
CONSUMER = {
    # Tansu holds a join for half the session timeout; librdkafka's 45 s default would make
    # each join cost 20 s
    "session.timeout.ms": 6000,
    "topic.metadata.refresh.interval.ms": 1000,
}


def create_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
    for future in futures.values():
        future.result(30)


def read_topics(bootstrap: str, prefix: str, count: int) -> list[Any]:
    """Every record of the topics whose name starts with ``prefix`` (``count`` expected)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
    if not topics:
        return []
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            **CONSUMER,
        }
    )
    consumer.subscribe(topics)
    out: list[Any] = []
    deadline = time.monotonic() + 60
    try:
        while len(out) < count and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                out.append(message)
        # nothing more may come (a second dead letter of one event would show here)
        while (message := consumer.poll(1.0)) is not None:
            if not message.error():
                out.append(message)
    finally:
        consumer.close()
    return out


async def wait_assigned(transports: dict[str, KafkaTransport]) -> None:
    deadline = time.monotonic() + ASSIGN_TIMEOUT
    while True:
        empty = [
            name
            for name, transport in transports.items()
            for subscription in transport.subscriptions
            if not await asyncio.to_thread(subscription.consumer.assignment)
        ]
        if not empty:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"no partition assigned to {empty} in {ASSIGN_TIMEOUT} s")
        await asyncio.sleep(0.2)


def test_kafka_groups_share_partitions_and_dead_letter_on_topics(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    uid = uuid.uuid4().hex[:10]
    addresses = (f"parcels.{uid}.scanned.{{hub}}", f"parcels.{uid}.delivered")
    hubs = [f"h{n}" for n in range(2)]
    topics = [f"parcels.{uid}.scanned.{hub}" for hub in hubs] + [addresses[1]]
    package = generate(tmp_path, addresses)
    groups = {f"g1-{uid}": ["A", "B"], f"g2-{uid}": ["C"]}
    member_group = {m: g for g, ms in groups.items() for m in ms}
    prefix = f"evregtest.{uid}.dlq"
    config = {"bootstrap.servers": kafka_bootstrap}
    handled: dict[str, Counter[str]] = {g: Counter() for g in groups}
    handled_by: dict[str, dict[str, set[str]]] = {g: defaultdict(set) for g in groups}
    failed: dict[str, list[tuple[str, int]]] = {g: [] for g in groups}
    dead_hook: dict[str, set[str]] = {g: set() for g in groups}
    sent: dict[str, Any] = {}
    create_topics(kafka_bootstrap, topics)

    async def scenario() -> None:
        transports = {
            member: KafkaTransport(config, consumer_config=CONSUMER, dead_letter_prefix=prefix)
            for member in member_group
        }
        consumers = []
        for member, transport in transports.items():
            group = member_group[member]

            async def dead(letter: Any, group: str = group) -> None:
                dead_hook[group].add(json.loads(letter.delivery.body)["parcelId"])

            consumer = package.Consumer(transport, group=group, max_attempts=3, dead_letter=dead)

            async def handle(parcel: Any, member: str = member, group: str = group) -> None:
                attempt = package.current_message().attempt
                if parcel.mode.value == "poison" or (parcel.mode.value == "flaky" and attempt == 1):
                    failed[group].append((parcel.parcel_id, attempt))
                    raise RuntimeError(f"{parcel.mode.value} parcel {parcel.parcel_id}")
                handled[group][parcel.parcel_id] += 1
                handled_by[group][parcel.parcel_id].add(member)

            consumer.on_parcel_scanned(handle)
            consumer.on_parcel_delivered(handle)
            consumers.append(consumer)
        producer = package.Producer(KafkaTransport(config))
        try:
            for consumer in consumers:
                await consumer.start()
            await wait_assigned(transports)
            for i in range(EVENTS):
                parcel = package.models.Parcel(parcel_id=f"p{i:04d}", seq=i, mode=mode(i))
                if i % 2 == 0:
                    published = await producer.parcel_scanned(parcel, hub=hubs[i % 4 // 2])
                else:
                    published = await producer.parcel_delivered(parcel)
                assert published.key == parcel.parcel_id  # the contract's key binding
                sent[parcel.parcel_id] = published
            deadline = time.monotonic() + SETTLE_TIMEOUT
            while time.monotonic() < deadline and any(
                set(sent) - set(handled[g]) - dead_hook[g] for g in groups
            ):
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # a duplicate would come now
        finally:
            for consumer in consumers:
                await consumer.stop()
            for transport in transports.values():
                await transport.close()
            await producer.close()

    asyncio.run(asyncio.wait_for(scenario(), ASSIGN_TIMEOUT + SETTLE_TIMEOUT + 60))
    poison = {p for p, s in sent.items() if mode(int(p[1:])) == "poison"}
    flaky = {p for p, s in sent.items() if mode(int(p[1:])) == "flaky"}
    letters = read_topics(kafka_bootstrap, prefix, len(poison) * len(groups))
    by_group: dict[str, list[Any]] = defaultdict(list)
    for letter in letters:
        headers = {k: v.decode() for k, v in letter.headers() or []}
        by_group[headers["evreg-dead-letter-group"]].append((letter, headers))
    report = []
    for group, members in groups.items():
        lost = set(sent) - set(handled[group]) - dead_hook[group]
        duplicates = sum(n - 1 for n in handled[group].values())
        shares = Counter(m for ms in handled_by[group].values() for m in ms)
        report.append(f"{group}: lost {len(lost)}, duplicates {duplicates}, by member {shares}")
        assert not lost, f"{group} lost {sorted(lost)}"
        assert set(shares) == set(members), f"{group}: handled by {shares}"
        assert not poison & set(handled[group])
        for parcel in flaky:
            assert (parcel, 1) in failed[group] and parcel in handled[group], parcel
        stored = by_group[group]
        assert sorted(json.loads(r.value())["parcelId"] for r, _ in stored) == sorted(poison)
        for record, headers in stored:
            original = sent[json.loads(record.value())["parcelId"]]
            assert record.value() == original.body  # no schema id: the bare JSON, as sent
            assert record.key() == original.key.encode()
            assert headers["eventId"] == original.headers["eventId"]
            assert headers["evreg-dead-letter-reason"] == "handler-failed"
            assert headers["evreg-dead-letter-attempts"] == "3"
            assert headers["evreg-dead-letter-subject"] == original.subject
            assert record.topic() == f"{prefix}.{group}.{original.subject}"
    print(f"\nkafka (Tansu), {EVENTS} events: " + "; ".join(report))
