// The /metrics registry (Prometheus text format, prom-client). Counters and the latency histogram
// move as mail flows, through the `Metrics` port the intake and the outbox are given; levels (outbox
// depth and age, stored mail by state, the mailbox's connection) are read when Prometheus scrapes, so
// they are true after a restart and across several processes sharing one database. The composition
// root hands in how to read them: this module knows neither the database nor the mail sources.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from './log.ts';

/** What a scrape reads; each part null when it cannot be known (no IMAP mailbox, database down). */
export interface Levels {
  outbox: { pending: number; oldestPendingSeconds: number; failed: number } | null;
  /** Stored inbound mail by state, only the states an operator acts on (pending, held, quarantined, failed). */
  inbound: Record<string, number> | null;
  /** Whether the relay is failing now (the outbox is paused). */
  relayStalled: boolean;
  mailbox: { name: string; connected: boolean; lastPollAt: Date | null } | null;
  database: boolean;
}

export interface MetricsRegistry extends Metrics {
  readonly contentType: string;
  /** The whole exposition, levels read now. */
  render(): Promise<string>;
  /** Process metrics (memory, event loop, handles): only for the long-running process. */
  withProcessMetrics(): void;
}

export const INBOUND_STATES_WATCHED = ['pending', 'held', 'quarantined', 'failed'] as const;

export function createMetrics(levels: () => Promise<Levels>): MetricsRegistry {
  const registry = new Registry();
  const inbound = new Counter({
    name: 'guichet_inbound_messages_total',
    help: 'Inbound messages by outcome: processed, held, quarantined, ignored, failed, or duplicate (already received)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'guichet_intake_duration_seconds',
    help: 'Time from a message handed to the intake (with its batch) to its outcome committed',
    // From a lone SMTP message (tens of ms) to a chunk of 200 mails with attachments.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const sent = new Counter({ name: 'guichet_outbox_sent_total', help: 'Notifications accepted by the relay', registers: [registry] });
  const failures = new Counter({
    name: 'guichet_outbox_send_failures_total',
    help: 'Failed send attempts by kind: relay (the relay itself fails), recipient (refused for good), transient (retried)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const pending = gauge('guichet_outbox_pending', 'Notifications waiting to be sent (due or waiting for a retry)');
  const oldest = gauge('guichet_outbox_oldest_pending_age_seconds', 'Age of the oldest notification waiting to be sent; 0 when none waits');
  const failed = gauge('guichet_outbox_failed', 'Notifications given up on (refused, or failing past outbox.retryForHours)');
  const stalled = gauge('guichet_outbox_stalled', '1 while the relay fails and sending is paused');
  const stored = gauge('guichet_inbound_stored', 'Stored inbound messages in a state an operator acts on', ['state']);
  // Labelled by mailbox so that, without imap.url, the series are absent rather than a false 0.
  const connected = gauge('guichet_mailbox_connected', '1 while the IMAP connection is up', ['mailbox']);
  const lastPoll = gauge('guichet_mailbox_last_poll_timestamp_seconds', 'When the last IMAP round completed (Unix time; 0 before the first)', ['mailbox']);
  const database = gauge('guichet_database_up', '1 when the database answered this scrape');
  for (const kind of ['relay', 'recipient', 'transient']) failures.inc({ kind }, 0);
  // Zero series from the start, so a rate() over a fresh process has a baseline.
  for (const outcome of ['processed', 'held', 'quarantined', 'ignored', 'failed', 'duplicate']) inbound.inc({ outcome }, 0);
  let processMetrics = false;

  return {
    contentType: registry.contentType,
    inbound(outcome, seconds) {
      inbound.inc({ outcome });
      latency.observe(seconds);
    },
    sent: () => sent.inc(),
    sendFailed: (kind) => failures.inc({ kind }),
    withProcessMetrics() {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry });
    },
    async render() {
      const now = await levels();
      database.set(now.database ? 1 : 0);
      stalled.set(now.relayStalled ? 1 : 0);
      // A level the database could not give keeps its last value; guichet_database_up says so.
      if (now.outbox) {
        pending.set(now.outbox.pending);
        oldest.set(now.outbox.oldestPendingSeconds);
        failed.set(now.outbox.failed);
      }
      if (now.inbound) for (const state of INBOUND_STATES_WATCHED) stored.set({ state }, now.inbound[state] ?? 0);
      // A process that no longer reads the mailbox (another took the lead) reports no series for it,
      // not the last values it saw, which would go stale under the reader's.
      connected.reset();
      lastPoll.reset();
      if (now.mailbox) {
        const mailbox = { mailbox: now.mailbox.name };
        connected.set(mailbox, now.mailbox.connected ? 1 : 0);
        lastPoll.set(mailbox, now.mailbox.lastPollAt ? now.mailbox.lastPollAt.getTime() / 1000 : 0);
      }
      return registry.metrics();
    },
  };
}
