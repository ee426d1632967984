// The one logging signature every part of Guichet takes as a dependency: the composition root
// decides where lines go (the terminal for `guichet start`, nowhere for one-shot commands and tests).
// `extra` carries the line's structured fields (an inbound id, a ticket number, an outcome), which
// the JSON output keeps as fields so a log search needs no parsing of the text.
export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, msg: string, extra?: object) => void;

export const silentLog: Log = () => {};

/**
 * What the intake and the outbox report as it happens, for /metrics. A port, so neither knows of
 * prom-client: the composition root implements it (src/metrics.ts); tests and one-shot commands
 * pass `noMetrics`. Levels (outbox depth, the mailbox's connection) are read at scrape time instead.
 */
export interface Metrics {
  /** One inbound message reached its outcome, `seconds` after its batch was handed to the intake. */
  inbound(outcome: string, seconds: number): void;
  /** One notification sent. */
  sent(): void;
  /** One send that failed: `relay` (the relay itself), `recipient` (refused for good), `transient`. */
  sendFailed(kind: string): void;
}

export const noMetrics: Metrics = { inbound() {}, sent() {}, sendFailed() {} };
