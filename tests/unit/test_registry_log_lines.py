"""The registry's JSON log lines: written in batches, at once from WARNING up, in order."""

from __future__ import annotations

import io
import json
import logging
import threading
import time

import pytest

pytest.importorskip("fastapi")

from evreg.registry.metrics import RequestMetrics
from evreg.registry.observability import BatchedLines, JsonFormatter, _new_request_id


@pytest.fixture
def logger_and_stream() -> tuple[logging.Logger, io.StringIO, BatchedLines]:
    stream = io.StringIO()
    handler = BatchedLines(stream, interval=0.2)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("evreg.test.batched")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream, handler


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_info_lines_are_written_together_after_the_interval(
    logger_and_stream: tuple[logging.Logger, io.StringIO, BatchedLines],
) -> None:
    logger, stream, _ = logger_and_stream
    logger.info("one", extra={"status": 200})
    logger.info("two")
    assert stream.getvalue() == ""  # not yet: one write for the batch
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    got = lines(stream)
    assert [e["msg"] for e in got] == ["one", "two"]
    assert got[0]["status"] == 200 and got[0]["logger"] == "evreg.test.batched"


def test_a_warning_is_written_at_once_after_what_came_before(
    logger_and_stream: tuple[logging.Logger, io.StringIO, BatchedLines],
) -> None:
    logger, stream, _ = logger_and_stream
    logger.info("before")
    logger.warning("trouble")
    assert [(e["msg"], e["level"]) for e in lines(stream)] == [
        ("before", "info"),
        ("trouble", "warning"),
    ]


def test_flush_writes_what_is_pending(
    logger_and_stream: tuple[logging.Logger, io.StringIO, BatchedLines],
) -> None:
    logger, stream, handler = logger_and_stream
    logger.info("pending")
    handler.flush()
    assert [e["msg"] for e in lines(stream)] == ["pending"]


def test_request_ids_are_32_hex_digits_and_distinct() -> None:
    ids = [_new_request_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_the_access_line_is_the_same_whichever_way_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Observe appends the access line straight to evreg's handler when logging is configured
    as ``configure_logging`` leaves it; with anything else in the way (here a filter on the
    handler) the record goes through logging. The lines must not differ."""
    import asyncio
    import sys

    from evreg.registry import observability

    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    # only what configure_logging sets up (another test may have left a handler of its own)
    monkeypatch.setattr(logging.getLogger("evreg"), "handlers", [])
    observability.configure_logging("INFO", "json")
    [handler] = logging.getLogger("evreg").handlers
    assert isinstance(handler, BatchedLines)

    async def app(scope: object, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    class _Metrics:
        requests = RequestMetrics()

    middleware = observability.Observe(app, _Metrics())  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/subjects/ä b",
        "headers": [(b"x-request-id", b"same-id-1")],
        "state": {"actor": "reader"},
    }

    async def one_request() -> None:
        async def receive() -> dict[str, object]:
            return {"type": "http.request"}

        async def send(message: object) -> None:
            pass

        await middleware(dict(scope), receive, send)

    try:
        assert observability._direct_handler() is handler
        asyncio.run(one_request())
        handler.addFilter(lambda record: True)  # now the record goes through logging
        assert observability._direct_handler() is None
        asyncio.run(one_request())
        handler.flush()
    finally:
        for h in list(logging.getLogger("evreg").handlers):
            h.close()
            logging.getLogger("evreg").removeHandler(h)
    direct, logged = lines(stream)[-2:]
    for entry in (direct, logged):
        assert isinstance(entry.pop("ts"), str)
        assert isinstance(entry.pop("duration_ms"), float)
    assert list(direct) == list(logged)  # the same keys in the same order
    assert (
        direct
        == logged
        == {
            "level": "info",
            "logger": "evreg.registry.access",
            "msg": "GET /subjects/ä b 204",
            "request_id": "same-id-1",
            "method": "GET",
            "path": "/subjects/ä b",
            "route": "unmatched",
            "status": 204,
            "actor": "reader",
        }
    )


def test_closing_stops_the_writer_thread_and_may_be_repeated(
    logger_and_stream: tuple[logging.Logger, io.StringIO, BatchedLines],
) -> None:
    """``logging.Handler.close`` sets ``self._closed = True`` (Python 3.10+): the handler's own
    stop event once shared that name, so after a close the writer thread could call ``.wait``
    on a bool and die with AttributeError (seen as a warning in CI), a second close (what
    ``logging.shutdown`` does at exit) raised, and so did a line logged to a handler closed
    before its first line."""
    logger, stream, handler = logger_and_stream
    failures: list[threading.ExceptHookArgs] = []
    before, threading.excepthook = threading.excepthook, failures.append
    try:
        logger.info("first")  # starts the writer thread
        writer = handler._writer
        assert writer is not None and writer.is_alive()
        handler.close()
        handler.close()
        writer.join(timeout=5)
        assert not writer.is_alive()
    finally:
        threading.excepthook = before
    assert failures == []
    assert [e["msg"] for e in lines(stream)] == ["first"]
    early = BatchedLines(io.StringIO())
    early.close()
    early.handle(logging.makeLogRecord({"msg": "late", "levelno": logging.INFO}))
    early.flush()
    assert early._writer is None  # no thread for a closed handler
