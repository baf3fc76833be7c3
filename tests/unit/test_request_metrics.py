"""evreg's lock-free request metrics expose exactly what prometheus_client's own Counter and
Histogram would for the same observations."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from evreg.registry.metrics import RequestMetrics

OBSERVATIONS = [
    ("GET", "/schemas/ids/{schema_id}", 200, 0.0004),
    ("GET", "/schemas/ids/{schema_id}", 200, 0.005),  # on a bucket's bound: counted in it
    ("GET", "/schemas/ids/{schema_id}", 404, 0.0011),
    ("POST", "/subjects/{subject}/versions", 200, 0.3),
    ("POST", "/subjects/{subject}/versions", 409, 12.5),  # above every bound
    ("GET", "unmatched", 404, 0.0),
]


def _ours() -> str:
    registry = CollectorRegistry()
    metrics = RequestMetrics()
    registry.register(metrics)
    for method, route, status, elapsed in OBSERVATIONS:
        metrics.observe(method, route, status, elapsed)
    return generate_latest(registry).decode()


def _theirs() -> str:
    registry = CollectorRegistry()
    requests = Counter(
        "evreg_http_requests_total",
        "HTTP requests by method, route template and status",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "evreg_http_request_duration_seconds",
        "HTTP request duration by method and route template",
        ["method", "route"],
        registry=registry,
    )
    for method, route, status, elapsed in OBSERVATIONS:
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route).observe(elapsed)
    return generate_latest(registry).decode()


def _samples(text: str) -> list[str]:
    # prometheus_client's own metrics add ``_created`` timestamps, which differ by nature
    return sorted(line for line in text.splitlines() if "_created" not in line)


def test_the_same_exposition_as_prometheus_client() -> None:
    assert _samples(_ours()) == _samples(_theirs())
