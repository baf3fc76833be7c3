"""OpenTelemetry for producers and consumers, with ``opentelemetry-api`` only.

A producer starts a PRODUCER span ``"<subject> publish"`` and injects its context into the
headers (W3C ``traceparent``, by the globally configured propagator); a consumer extracts the
context from the headers and runs the handler in a CONSUMER span ``"<subject> process"``, child
of the producer's. Spans are recorded only when the service configures an OpenTelemetry SDK;
without one the API's non-recording spans still carry the incoming context, so a message
published from inside a handler keeps the trace id. Without ``opentelemetry-api`` installed
(``pip install "evreg[otel]"``) nothing is traced and nothing is injected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # pragma: no cover - exercised only where the extra is not installed
    trace = None  # type: ignore[assignment]

TRACER = "evreg.runtime"


_TRACER: Any = None


def _tracer() -> Any:
    """The runtime's tracer, made once: a proxy that follows the provider the service sets
    (before or after this call)."""
    global _TRACER
    if _TRACER is None:
        _TRACER = trace.get_tracer(TRACER)
    return _TRACER


@contextlib.contextmanager
def publishing(
    system: str, subject: str, message: str, headers: MutableMapping[str, str]
) -> Iterator[None]:
    """A PRODUCER span around a publish; the trace context is injected into ``headers``."""
    if trace is None:
        yield
        return
    attributes = {
        "messaging.system": system,
        "messaging.destination.name": subject,
        "messaging.operation.type": "publish",
        "evreg.message": message,
    }
    with _tracer().start_as_current_span(
        f"{subject} publish", kind=SpanKind.PRODUCER, attributes=attributes
    ):
        propagate.inject(headers)
        yield


@contextlib.contextmanager
def processing(
    system: str, subject: str, headers: Mapping[str, str], group: str | None, attempt: int
) -> Iterator[Callable[[BaseException], None]]:
    """A CONSUMER span, child of the context in ``headers``, around a handler. It yields
    ``failed(exc)``, which records a handler's exception and marks the span as an error (an
    exception leaving the block does the same)."""
    if trace is None:
        yield _ignore
        return
    attributes: dict[str, Any] = {
        "messaging.system": system,
        "messaging.destination.name": subject,
        "messaging.operation.type": "process",
        "evreg.attempt": attempt,
    }
    if group:
        attributes["messaging.consumer.group.name"] = group
    parent = propagate.extract(headers)
    with _tracer().start_as_current_span(
        f"{subject} process",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:

        def failed(exc: BaseException) -> None:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

        try:
            yield failed
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise


def _ignore(_exc: BaseException) -> None:
    return None
