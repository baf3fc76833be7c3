export * from "./wire.js";
export * from "./transport.js";
export * from "./validation.js";
export * from "./messaging.js";
export { InMemoryTransport, addressMatcher } from "./memory.js";
export { type Logger, log, setLogger } from "./log.js";
export { TRACEPARENT, TRACESTATE } from "./tracing.js";
