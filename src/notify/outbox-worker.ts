// Sends due outbox rows. A row is claimed with a lease before sending, so two Guichet processes
// never send the same notification at once; a crash mid-send lets the lease expire and the row is
// tried again (at-least-once, with the Message-ID stable so mail programs fold a rare duplicate).
// Claims and outcomes are written a batch per transaction: on a backlog, commits are the cost.
import type { Kysely } from 'kysely';
import type { Database, OutboxRow } from '../db/schema.ts';
import { silentLog, type Log } from '../log.ts';
import { isPermanentFailure, type Mailer } from './mailer.ts';

export interface OutboxWorkerOptions {
  db: Kysely<Database>;
  mailer: Mailer;
  maxAttempts: number;
  /** First retry delay; doubles each attempt, capped at six hours. */
  backoffSeconds: number;
  now?: () => Date;
  log?: Log;
}

export interface OutboxWorker {
  /** Sends every due row; resolves with how many were sent. Never runs twice at once. */
  runOnce(): Promise<number>;
  /** Asks for a run soon (after a commit that queued mail); calls made meanwhile coalesce. */
  kick(): void;
  /** Resolves when no run is in progress or scheduled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const LEASE_MS = 5 * 60_000;
const BATCH = 50;
const KICK_DELAY_MS = 20;

export function retryDelayMs(attempts: number, backoffSeconds: number): number {
  return Math.min(backoffSeconds * 1000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

export function createOutboxWorker(opts: OutboxWorkerOptions): OutboxWorker {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? silentLog;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  let kickTimer: NodeJS.Timeout | null = null;

  /** Leases the rows no other worker holds, in one transaction; returns those this worker got. */
  async function claim(rows: OutboxRow[]): Promise<OutboxRow[]> {
    const lease = new Date(now().getTime() + LEASE_MS).toISOString();
    return opts.db.transaction().execute(async (trx) => {
      const mine: OutboxRow[] = [];
      for (const row of rows) {
        const res = await trx
          .updateTable('outbox')
          .set({ lease_until: lease, attempts: row.attempts + 1 })
          .where('id', '=', row.id)
          .where('state', '=', 'pending')
          .where('attempts', '=', row.attempts)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 1) mine.push(row);
      }
      return mine;
    });
  }

  /** Sends the claimed rows at once, then records every outcome in one transaction. */
  async function sendAll(rows: OutboxRow[]): Promise<number> {
    const results = await Promise.allSettled(rows.map((row) => opts.mailer.send(row)));
    const at = now();
    await opts.db.transaction().execute(async (trx) => {
      for (const [i, result] of results.entries()) {
        const row = rows[i]!;
        if (result.status === 'fulfilled') {
          await trx
            .updateTable('outbox')
            .set({ state: 'sent', sent_at: at.toISOString(), server_response: result.value.response, lease_until: null, last_error: null })
            .where('id', '=', row.id)
            .execute();
          continue;
        }
        const err = result.reason;
        const attempts = row.attempts + 1;
        const error = err instanceof Error ? err.message : String(err);
        const final = isPermanentFailure(err) || attempts >= opts.maxAttempts;
        await trx
          .updateTable('outbox')
          .set({
            state: final ? 'failed' : 'pending',
            last_error: error,
            server_response: (err as { response?: string }).response ?? null,
            next_attempt_at: new Date(at.getTime() + retryDelayMs(attempts, opts.backoffSeconds)).toISOString(),
            lease_until: null,
          })
          .where('id', '=', row.id)
          .execute();
        log(final ? 'error' : 'warn', `outbox ${row.id} to ${row.recipient} ${final ? 'failed' : 'will retry'}: ${error}`);
      }
    });
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  async function drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const t = now().toISOString();
      const due = await opts.db
        .selectFrom('outbox')
        .selectAll()
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', t)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', t)]))
        .orderBy('id')
        .limit(BATCH)
        .execute();
      if (!due.length || stopped) return sent;
      sent += await sendAll(await claim(due));
      if (due.length < BATCH) return sent;
    }
  }

  function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await drain();
        } while (again && !stopped);
      } catch (err) {
        log('error', `outbox run failed: ${(err as Error).message}`);
      } finally {
        running = null;
      }
      return total;
    })();
    return running;
  }

  return {
    runOnce,
    kick() {
      if (stopped || kickTimer) return;
      // A short pause gathers the mail of a burst (a mailbox backlog) into one run.
      kickTimer = setTimeout(() => {
        kickTimer = null;
        void runOnce();
      }, KICK_DELAY_MS);
    },
    async idle() {
      while (kickTimer || running) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      stopped = true;
      if (kickTimer) clearTimeout(kickTimer);
      kickTimer = null;
      if (running) await running;
    },
  };
}
