"""Two registry processes on one database, many threads registering to one subject.

Every thread registers the same 30 schemas (mutually compatible: only their descriptions
differ) in its own order. Whatever the interleaving: exactly 30 versions numbered 1..30, no
duplicates, no gaps, one schema id per content, and every thread saw the same id for a content.
"""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from pathlib import Path

import httpx

from .conftest import Server

CONTENTS = 30
THREADS_PER_SERVER = 3


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
        threads = [
            threading.Thread(target=work, args=(server, n * 10 + k))
            for n, server in enumerate(servers)
            for k in range(THREADS_PER_SERVER)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
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
