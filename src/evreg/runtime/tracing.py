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
    from opentelemetry import context as otel_context
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


class processing:  # used as a function: ``with processing(...) as failed``
    """A CONSUMER span, child of the context in ``headers``, around a handler. It yields
    ``failed(exc)``, which records a handler's exception and marks the span as an error (an
    exception leaving the block does the same).

    It runs for every message, so it is a class, not a generator, and while no tracer provider
    is set (or a no-op one) it does directly what the API's no-op tracer would: the span is the
    incoming one (a non-recording span, ``INVALID_SPAN`` when the headers carry none), made
    current for the handler, so that a message published from it carries the incoming trace;
    recording and status calls on such a span do nothing, so ``failed`` does nothing. Once a
    provider is set (before or after the consumer started) spans go through it."""

    __slots__ = ("_attributes", "_headers", "_recording", "_subject", "_token")

    def __init__(
        self,
        system: str,
        subject: str,
        headers: Mapping[str, str],
        group: str | None,
        attempt: int,
    ) -> None:
        self._subject = subject
        self._headers = headers
        self._attributes = (system, group, attempt)
        self._recording: contextlib.AbstractContextManager[Callable[[BaseException], None]] | None
        self._recording = None
        self._token: object = None

    def __enter__(self) -> Callable[[BaseException], None]:
        if trace is None:
            return _ignore
        parent = propagate.extract(self._headers)
        tracer = _tracer()
        # before a provider is set the API hands out a proxy, whose ``_tracer`` is the no-op
        # tracer until then (the provider's after); read with a default, so an API without it
        # only takes the general path
        tracer = getattr(tracer, "_tracer", tracer)
        if type(tracer) is trace.NoOpTracer:
            span = tracer.start_span(f"{self._subject} process", context=parent)
            self._token = otel_context.attach(trace.set_span_in_context(span))
            return _ignore
        system, group, attempt = self._attributes
        self._recording = _recorded(system, self._subject, parent, group, attempt)
        return self._recording.__enter__()

    def __exit__(self, *exc: Any) -> bool | None:
        if self._recording is not None:
            return self._recording.__exit__(*exc)
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
        return None


@contextlib.contextmanager
def _recorded(
    system: str, subject: str, parent: Any, group: str | None, attempt: int
) -> Iterator[Callable[[BaseException], None]]:
    """The CONSUMER span of ``processing`` through the tracer provider that is set."""
    attributes: dict[str, Any] = {
        "messaging.system": system,
        "messaging.destination.name": subject,
        "messaging.operation.type": "process",
        "evreg.attempt": attempt,
    }
    if group:
        attributes["messaging.consumer.group.name"] = group
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
