/**
 * Trace context for producers and consumers, following the evreg wire conventions (the
 * Python runtime's `evreg.runtime.tracing`).
 *
 * With `@opentelemetry/api` installed (an optional peer dependency), a producer runs the
 * publish in a PRODUCER span `"<subject> publish"` and injects the context into the headers
 * (W3C `traceparent`, by the globally configured propagator), and a consumer runs the handler in
 * a CONSUMER span `"<subject> process"`, child of the context extracted from the headers;
 * spans are recorded when the service registers an OpenTelemetry SDK. Either way, a message
 * published from inside a handler carries the handled message's `traceparent` and `tracestate`
 * when nothing else set them (no SDK, no propagator, no API): the trace id goes on through a
 * chain of services, as in Python.
 */

import type * as Otel from "@opentelemetry/api";

import type { Headers } from "./wire.js";

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";
const TRACER = "evreg.runtime";

type Api = typeof Otel;
let loading: Promise<Api | null> | undefined;

function api(): Promise<Api | null> {
  loading ??= import("@opentelemetry/api").then(
    (module) => module,
    () => null,
  );
  return loading;
}

/** What a handler runs in: the context of its CONSUMER span (an OpenTelemetry `Context`,
 * when the API is there), and the headers of the message it handles. */
export interface TraceScope {
  readonly context: unknown;
  readonly headers: Headers;
}

function carry(headers: Headers, from: TraceScope | undefined): void {
  if (from === undefined || headers[TRACEPARENT] !== undefined) return;
  const parent = from.headers[TRACEPARENT];
  if (parent === undefined) return;
  headers[TRACEPARENT] = parent;
  const state = from.headers[TRACESTATE];
  if (state) headers[TRACESTATE] = state;
}

function failed(otel: Api, span: Otel.Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: text });
}

/** `publish()` in a PRODUCER span; the trace context goes into `headers` first. */
export async function publishing<T>(
  system: string,
  subject: string,
  message: string,
  headers: Headers,
  scope: TraceScope | undefined,
  publish: () => Promise<T>,
): Promise<T> {
  const otel = await api();
  if (otel === null) {
    carry(headers, scope);
    return publish();
  }
  const parent = (scope?.context as Otel.Context | undefined) ?? otel.context.active();
  const span = otel.trace.getTracer(TRACER).startSpan(
    `${subject} publish`,
    {
      kind: otel.SpanKind.PRODUCER,
      attributes: {
        "messaging.system": system,
        "messaging.destination.name": subject,
        "messaging.operation.type": "publish",
        "evreg.message": message,
      },
    },
    parent,
  );
  try {
    otel.propagation.inject(otel.trace.setSpan(parent, span), headers);
    carry(headers, scope);
    return await publish();
  } catch (error) {
    failed(otel, span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** `handle(scope)` in a CONSUMER span, child of the context in `headers`. */
export async function processing<T>(
  system: string,
  subject: string,
  headers: Headers,
  group: string | undefined,
  attempt: number,
  handle: (scope: TraceScope) => Promise<T>,
): Promise<T> {
  const otel = await api();
  if (otel === null) return handle({ context: undefined, headers });
  const parent = otel.propagation.extract(otel.ROOT_CONTEXT, headers);
  const attributes: Otel.Attributes = {
    "messaging.system": system,
    "messaging.destination.name": subject,
    "messaging.operation.type": "process",
    "evreg.attempt": attempt,
  };
  if (group) attributes["messaging.consumer.group.name"] = group;
  const span = otel.trace.getTracer(TRACER).startSpan(`${subject} process`, { kind: otel.SpanKind.CONSUMER, attributes }, parent);
  const context = otel.trace.setSpan(parent, span);
  try {
    return await otel.context.with(context, () => handle({ context, headers }));
  } catch (error) {
    failed(otel, span, error);
    throw error;
  } finally {
    span.end();
  }
}
