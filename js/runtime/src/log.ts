/** Where the runtime reports what it cannot throw (a dropped redelivery, a dead letter). */

export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

let current: Logger = {
  warn: (message) => console.warn(`evreg: ${message}`),
  error: (message) => console.error(`evreg: ${message}`),
};

/** The runtime's logger (default: `console`, prefixed with `evreg:`). */
export function log(): Logger {
  return current;
}

/** Route the runtime's warnings and errors to another logger. */
export function setLogger(logger: Logger): void {
  current = logger;
}
