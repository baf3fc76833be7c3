"""A 10 KB subject name is refused with 422/42208 on both stores (it used to reach PostgreSQL's
btree index on (subject, version), which cannot hold a ~10 kB key, and answer 500/50001)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from .conftest import CORPUS, Server, dump


def test_overlong_subject_name_is_refused(backend_url: str, tmp_path: Path) -> None:
    name = (CORPUS / "subject-10kb.txt").read_text()
    server = Server(backend_url, tmp_path).start()
    try:
        before = dump(backend_url)
        r = httpx.post(
            f"{server.url}/subjects/{quote(name, safe='')}/versions",
            json={"schema": "{}", "schemaType": "JSON"},
            timeout=60,
        )
        assert (r.status_code, r.json()["error_code"]) == (422, 42208), r.text[:300]
        assert dump(backend_url) == before
        ok = httpx.post(
            f"{server.url}/subjects/{quote('n' * 2048, safe='')}/versions",
            json={"schema": "{}", "schemaType": "JSON"},
            timeout=60,
        )
        assert ok.status_code == 200, ok.text[:300]
    finally:
        server.stop()
