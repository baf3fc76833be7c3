"""Prometheus metrics of one registry process: requests by route and status, the registry's
counters (registrations, incompatible schemas) and its caches' hits and misses. Each registry
process has its own: scrape every process."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from evreg.registry.service import RegistryService
from evreg.registry.stats import Stats


class Metrics:
    """The process's metrics, in a registry of its own (one per app)."""

    def __init__(self, service: RegistryService) -> None:
        self.registry = CollectorRegistry()
        self.requests = RequestMetrics()
        self.registry.register(self.requests)
        self.registry.register(_StatsCollector(service.stats))
        caches: list[tuple[str, Any]] = [
            *service.caches.counted(),
            ("schema_ids", service.schema_ids),
        ]
        for name, cache in caches:
            hits = Gauge(
                f"evreg_{name}_cache_hits",
                f"Hits of the {name} cache since start",
                registry=self.registry,
            )
            hits.set_function(_reader(cache, "hits"))
            misses = Gauge(
                f"evreg_{name}_cache_misses",
                f"Misses of the {name} cache since start",
                registry=self.registry,
            )
            misses.set_function(_reader(cache, "misses"))
            size = Gauge(
                f"evreg_{name}_cache_bytes",
                f"Estimated bytes held by the {name} cache (bounded by EVREG_CACHE_BYTES)",
                registry=self.registry,
            )
            size.set_function(_reader(cache, "bytes"))
        watch_up = Gauge(
            "evreg_schema_ids_watch_up",
            "1 while ids found in use are served from memory until the database changes "
            "(the watch of data_version / NOTIFY is up); 0: every read by id asks the database",
            registry=self.registry,
        )
        watch = service.changes.watch
        watch_up.set_function(lambda: float(watch.up))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """``evreg_http_requests_total`` and ``evreg_http_request_duration_seconds``, counted in
    plain dictionaries by the event loop's thread and turned into Prometheus families when
    scraped. prometheus_client's own Counter and Histogram take a lock per update (three per
    request); the requests of one process are recorded on one thread, so none is needed."""

    BUCKETS = tuple(b for b in Histogram.DEFAULT_BUCKETS if b != float("inf"))

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        # (method, route) -> [count per bucket (not cumulative)..., count above, sum]
        self.latency: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        cells = self.latency.get((method, route))
        if cells is None:
            cells = self.latency[(method, route)] = [0.0] * (len(self.BUCKETS) + 2)
        cells[bisect.bisect_left(self.BUCKETS, elapsed)] += 1
        cells[-1] += elapsed

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "evreg_http_requests",
            "HTTP requests by method, route template and status",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in list(self.counts.items()):
            requests.add_metric([method, route, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "evreg_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            labels=["method", "route"],
        )
        for (method, route), cells in list(self.latency.items()):
            cumulative = list(itertools.accumulate(cells[:-1]))
            buckets = [(_bound(b), n) for b, n in zip(self.BUCKETS, cumulative, strict=False)]
            buckets.append(("+Inf", cumulative[-1]))
            latency.add_metric([method, route], buckets, sum_value=cells[-1])
        yield latency


def _bound(value: float) -> str:
    return repr(float(value))


class _StatsCollector:
    """The service's counts (:class:`~evreg.registry.stats.Stats`) as Prometheus counters."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        registrations = CounterMetricFamily(
            "evreg_registrations", "New schema versions registered by this process"
        )
        registrations.add_metric([], self.stats.registrations)
        yield registrations
        failures = CounterMetricFamily(
            "evreg_compatibility_failures",
            "Schemas found incompatible: registrations refused (operation=register) and "
            "compatibility checks answering incompatible (operation=check)",
            labels=["operation"],
        )
        for operation, count in self.stats.compatibility_failures.items():
            failures.add_metric([operation], count)
        yield failures


def _reader(cache: Any, attribute: str) -> Callable[[], float]:
    def read() -> float:
        return float(getattr(cache, attribute))

    return read
