"""Two registry processes on one database, many threads registering to one subject.

Every thread registers the same 30 schemas (mutually compatible: only their descriptions
differ) in its own order. Whatever the interleaving: exactly 30 versions numbered 1..30, no
duplicates, no gaps, one schema id per content, and every thread saw the same id for a content.

And no version is accepted without its compatibility check against the true latest: threads
climb levels that may only widen (BACKWARD), so a check against a stale latest shows as a
narrower version after a wider one. (Checked to fail when the latest is read before the
subject's lock is taken.)

And the same contents registered at once under many subjects from both servers share one id.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx

from .conftest import Server

CONTENTS = 30
THREADS_PER_SERVER = 3


def _run_on_each(servers: list[Server], work: Callable[[Server, int], None]) -> int:
    """``work(server, thread number)`` in ``THREADS_PER_SERVER`` threads per server, all at
    once; returns when every thread is done (the number of threads)."""
    threads = [
        threading.Thread(target=work, args=(server, n * 10 + k))
        for n, server in enumerate(servers)
        for k in range(THREADS_PER_SERVER)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return len(threads)


def test_two_servers_many_threads_one_subject(database_url: str, tmp_path: Path) -> None:
    servers = [Server(database_url, tmp_path).start() for _ in range(2)]
    subject = "race-value"
    schemas = [
        json.dumps({"type": "object", "description": f"variant {i}", "properties": {}})
        for i in range(CONTENTS)
    ]
    seen: dict[int, set[int]] = defaultdict(set)
    failures: list[str] = []
    lock = threading.Lock()

    def work(server: Server, seed: int) -> None:
        order = list(range(CONTENTS))
        random.Random(seed).shuffle(order)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for index in order:
                try:
                    r = client.post(
                        f"/subjects/{subject}/versions",
                        json={"schema": schemas[index], "schemaType": "JSON"},
                    )
                except httpx.HTTPError as exc:
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text}")
                    else:
                        seen[index].add(r.json()["id"])

    try:
        _run_on_each(servers, work)
        assert failures == []
        assert all(len(ids) == 1 for ids in seen.values()), seen
        ids = {index: next(iter(found)) for index, found in seen.items()}
        assert len(set(ids.values())) == CONTENTS
        client = httpx.Client(base_url=servers[0].url, timeout=30)
        assert client.get(f"/subjects/{subject}/versions").json() == list(range(1, CONTENTS + 1))
        by_version = {
            v: client.get(f"/subjects/{subject}/versions/{v}").json()["id"]
            for v in range(1, CONTENTS + 1)
        }
        assert sorted(by_version.values()) == sorted(ids.values())
        client.close()
    finally:
        for server in servers:
            server.stop()


LEVELS = 16


def level_schema(level: int, tag: str) -> str:
    """Level k accepts p in 0..k: under BACKWARD a level may follow only a level no higher."""
    return json.dumps(
        {
            "type": "object",
            "description": tag,
            "properties": {"p": {"enum": list(range(level + 1))}},
        }
    )


def test_each_version_was_checked_against_the_true_latest(
    database_url: str, tmp_path: Path
) -> None:
    """Threads on two servers climb the levels at their own pace, each registration a new
    content. A check against a stale latest (level k accepted after k+1 committed) would leave
    a version narrower than the one before it; the registry must answer 409 instead."""
    servers = [Server(database_url, tmp_path).start() for _ in range(2)]
    subject = "climb-value"
    accepted: list[tuple[int, int]] = []  # (schema id, level)
    refused: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def work(server: Server, thread: int) -> None:
        pause = random.Random(thread)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for level in range(LEVELS):
                body = {"schema": level_schema(level, f"t{thread}-{level}"), "schemaType": "JSON"}
                try:
                    r = client.post(f"/subjects/{subject}/versions", json=body)
                except httpx.HTTPError as exc:
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    if r.status_code == 200:
                        accepted.append((r.json()["id"], level))
                    elif r.status_code == 409 and r.json()["error_code"] == 409:
                        refused.append(level)
                    else:
                        failures.append(f"{r.status_code} {r.text}")
                time.sleep(pause.random() * 0.02)

    try:
        first = httpx.put(f"{servers[0].url}/config/{subject}", json={"compatibility": "BACKWARD"})
        assert first.status_code == 200, first.text
        # a middle level first, so that every thread's lower levels must be refused however the
        # threads happen to interleave (a run where no thread fell behind proved nothing)
        seed = {"schema": level_schema(LEVELS // 2, "seed"), "schemaType": "JSON"}
        seeded = httpx.post(f"{servers[1].url}/subjects/{subject}/versions", json=seed)
        assert seeded.status_code == 200, seeded.text
        accepted.append((seeded.json()["id"], LEVELS // 2))
        _run_on_each(servers, work)
        assert failures == []
        assert set(refused) >= set(range(LEVELS // 2)), "a level below the seed was accepted"
        with httpx.Client(base_url=servers[1].url, timeout=30) as client:
            numbers = client.get(f"/subjects/{subject}/versions").json()
            assert numbers == list(range(1, len(accepted) + 1))
            stored = [client.get(f"/subjects/{subject}/versions/{n}").json() for n in numbers]
        levels = [len(json.loads(v["schema"])["properties"]["p"]["enum"]) - 1 for v in stored]
        assert levels == sorted(levels), f"a version narrower than the one before: {levels}"
        assert sorted(v["id"] for v in stored) == sorted(sid for sid, _ in accepted)
        assert sorted(levels) == sorted(level for _, level in accepted)
    finally:
        for server in servers:
            server.stop()


def test_one_id_per_content_across_subjects_and_servers(database_url: str, tmp_path: Path) -> None:
    """The same contents registered at once under different subjects (different subject locks)
    from two servers: every content gets one schema id, shared by every subject."""
    servers = [Server(database_url, tmp_path).start() for _ in range(2)]
    schemas = [
        json.dumps({"type": "object", "description": f"shared {i}", "properties": {}})
        for i in range(20)
    ]
    seen: dict[int, set[int]] = defaultdict(set)
    failures: list[str] = []
    lock = threading.Lock()

    def work(server: Server, thread: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for index, schema in enumerate(schemas):
                r = client.post(
                    f"/subjects/shared-{thread}-value/versions",
                    json={"schema": schema, "schemaType": "JSON"},
                )
                with lock:
                    if r.status_code == 200:
                        seen[index].add(r.json()["id"])
                    else:
                        failures.append(f"{r.status_code} {r.text}")

    try:
        threads = _run_on_each(servers, work)
        assert failures == []
        assert all(len(ids) == 1 for ids in seen.values()), seen
        assert len({next(iter(ids)) for ids in seen.values()}) == len(schemas)
        listed = httpx.get(f"{servers[1].url}/schemas", timeout=30).json()
        assert len({row["id"] for row in listed}) == len(schemas)
        assert len(listed) == len(schemas) * threads
    finally:
        for server in servers:
            server.stop()
