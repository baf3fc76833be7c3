"""What this registry process has done, counted for ``/metrics`` (plain integers under a lock;
the service has no Prometheus dependency: :mod:`evreg.registry.observability` reads them)."""

from __future__ import annotations

import threading

OPERATIONS = ("register", "check")


class Stats:
    """Registrations (new versions stored) and compatibility failures by operation:
    ``register`` (a version refused, 409) and ``check`` (a compatibility check answering
    incompatible)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.registrations = 0
        self.compatibility_failures = dict.fromkeys(OPERATIONS, 0)

    def registered(self) -> None:
        with self._lock:
            self.registrations += 1

    def incompatible(self, operation: str) -> None:
        with self._lock:
            self.compatibility_failures[operation] += 1
