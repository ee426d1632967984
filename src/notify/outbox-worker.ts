// Sends due outbox rows. A row is claimed with a lease naming this process before sending, so two
// Guichet processes never send the same notification at once. The leases of a process that is gone
// (killed, restarted: connect.ts judges which, per engine) are released at this worker's first run
// and then every few seconds, so what it had claimed goes out at once rather than when the lease
// runs out; the lease stays the fallback. Either way delivery is at-least-once: a process killed
// between the relay's 250 and the record leaves a row that is sent again, with the same Message-ID
// so mail programs fold the duplicate. The claim commits durably (commitDurably): nothing is sent
// about a change that a power cut could still take back. Claims and outcomes are written a batch
// per transaction: on a backlog, commits are the cost.
//
// Failures are handled like an MTA would (mailer.ts, classifyFailure):
// - a transient one (4xx, a dead sender thread…) is retried, the delay doubling from
//   `backoffSeconds` up to one hour, for `retryForHours` after the row was queued, then the row fails;
// - a permanent refusal of the recipient (5xx to RCPT TO or DATA) fails the row at once and marks the
//   contact bouncing (accounts/ writes contacts);
// - a failure of the relay itself (connection, TLS, greeting, authentication) pauses the whole
//   outbox: no row is claimed, the rows in hand go back to pending with no attempt counted, and the
//   relay is probed (`mailer.verify()`) with the same capped backoff. The start of the outage is
//   logged at error level; once the relay answers, `onRecovered` queues one staff notice.
import type { Kysely } from 'kysely';
import { markBouncing } from '../accounts/contacts.ts';
import { commitDurably, hasRowLocks, PROCESS_HOLDER, type Leases } from '../db/connect.ts';
import type { Database, OutboxRow, Trx } from '../db/schema.ts';
import { noMetrics, silentLog, type Log, type Metrics } from '../log.ts';
import { classifyFailure, type Mailer } from './mailer.ts';

/** An outage of the relay, from its first failure to the probe that worked. */
export interface RelayOutage {
  since: Date;
  until: Date;
  lastError: string;
}

/** What /healthz shows of the outbox's sending side. */
export interface OutboxHealth {
  /** When the relay stopped working; null while it works. */
  stalledSince: Date | null;
  lastError: string | null;
  /** How long it has been stalled, by the worker's clock (0 when not stalled). */
  stalledForMs: number;
}

export interface OutboxWorkerOptions {
  db: Kysely<Database>;
  mailer: Mailer;
  /** A notification failing transiently is retried for this long after it was queued. */
  retryForHours: number;
  /** First retry delay; doubles each attempt, capped at one hour. Also paces the relay probes. */
  backoffSeconds: number;
  /** Queues the one staff notice of an outage, in the transaction given, once the relay works again. */
  onRecovered?: (trx: Trx, outage: RelayOutage, now: Date) => Promise<void>;
  /** Names this process in its claims and judges which holders are gone; without it, leases only expire. */
  leases?: Leases;
  now?: () => Date;
  log?: Log;
  /** Sends and failed sends by kind, for /metrics. */
  metrics?: Metrics;
}

export interface OutboxWorker {
  /** Sends every due row; resolves with how many were sent. Never runs twice at once. */
  runOnce(): Promise<number>;
  /** Asks for a run soon (after a commit that queued mail); calls made meanwhile coalesce. */
  kick(): void;
  /** Resolves when no run is in progress or scheduled. */
  idle(): Promise<void>;
  /** Whether sending is paused by a relay outage, since when and why. */
  health(): OutboxHealth;
  /** Claims nothing more; resolves once the sends in flight have ended and their outcomes are recorded. */
  stop(): Promise<void>;
}

const LEASE_MS = 5 * 60_000;
/** How often the leases of gone holders are looked for, at most (runs come at least every retryCron tick). */
const RELEASE_EVERY_MS = 5_000;
const BATCH = 50;
const KICK_DELAY_MS = 20;
export const MAX_BACKOFF_MS = 3600_000;

export function retryDelayMs(attempts: number, backoffSeconds: number): number {
  return Math.min(backoffSeconds * 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 30)), MAX_BACKOFF_MS);
}

/** What sending one claimed row came to, waiting to be recorded. */
interface Outcome {
  row: OutboxRow;
  result: PromiseSettledResult<Awaited<ReturnType<Mailer['send']>>>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createOutboxWorker(opts: OutboxWorkerOptions): OutboxWorker {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? silentLog;
  const metrics = opts.metrics ?? noMetrics;
  const windowMs = opts.retryForHours * 3600_000;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  let kickTimer: NodeJS.Timeout | null = null;
  /** Set while the relay is down: nothing is claimed until a probe works. */
  let stall: { since: Date; lastError: string; probes: number; nextProbeAt: Date } | null = null;
  const holder = opts.leases?.holder ?? PROCESS_HOLDER;
  let releasedAt = 0;
  /**
   * Outcomes whose recording failed (the database went away meanwhile), recorded at the next run:
   * left alone, their rows would stay leased to this live process until the lease ran out, and a
   * send the relay took would go out again.
   */
  const unrecorded: Outcome[] = [];
  /** A claim failed: it may have committed all the same, leaving rows leased to this process. */
  let claimInDoubt = false;

  /**
   * What a failed recording or claim left behind. Runs never overlap and a run ends only after its
   * sends, so at the start of one no row leased to this process is in hand.
   */
  async function settleLeftovers(): Promise<void> {
    if (unrecorded.length) {
      const outcomes = unrecorded.splice(0);
      try {
        await record(outcomes);
      } catch (err) {
        unrecorded.unshift(...outcomes);
        throw err;
      }
    }
    if (claimInDoubt) {
      await opts.db
        .updateTable('outbox')
        .set({ lease_until: null, lease_holder: null })
        .where('state', '=', 'pending')
        .where('lease_holder', '=', holder)
        .execute();
      claimInDoubt = false;
    }
  }

  /** Frees the leases of holders that are gone, so their rows are due again now. */
  async function releaseGone(): Promise<void> {
    if (!opts.leases || Date.now() - releasedAt < RELEASE_EVERY_MS) return;
    releasedAt = Date.now();
    const verdict = await opts.leases.check();
    if (!verdict) return;
    const res = await opts.db
      .updateTable('outbox')
      .set({ lease_until: null, lease_holder: null })
      .where('state', '=', 'pending')
      .where('lease_until', 'is not', null)
      .where((eb) =>
        eb.or([
          eb.and([eb('lease_holder', 'is not', null), eb('lease_holder', 'not in', verdict.alive)]),
          ...(verdict.unnamedGone ? [eb('lease_holder', 'is', null)] : []),
        ]),
      )
      .executeTakeFirst();
    const released = Number(res.numUpdatedRows);
    if (released) log('info', `outbox: ${released} notification(s) claimed by a process that is gone, to send now`);
  }

  function pause(at: Date, error: string) {
    if (stall) {
      stall.lastError = error;
      return;
    }
    stall = { since: at, lastError: error, probes: 0, nextProbeAt: new Date(at.getTime() + retryDelayMs(1, opts.backoffSeconds)) };
    log('error', `outbox paused: the mail relay fails (${error}); notifications stay queued and the relay is retried, every ${opts.backoffSeconds} s doubling up to 1 h`);
  }

  /** While paused: tries the relay when a probe is due; true once it works (the outage is over). */
  async function probe(): Promise<boolean> {
    if (!stall) return true;
    if (now() < stall.nextProbeAt) return false;
    try {
      await opts.mailer.verify();
    } catch (err) {
      stall.probes++;
      stall.lastError = messageOf(err);
      stall.nextProbeAt = new Date(now().getTime() + retryDelayMs(stall.probes + 1, opts.backoffSeconds));
      log('warn', `outbox still paused, the mail relay fails: ${stall.lastError}; next try at ${stall.nextProbeAt.toISOString()}`);
      return false;
    }
    const outage: RelayOutage = { since: stall.since, until: now(), lastError: stall.lastError };
    stall = null;
    log('info', `outbox resumed: the mail relay works again (down since ${outage.since.toISOString()}: ${outage.lastError})`);
    if (opts.onRecovered) {
      try {
        await opts.db.transaction().execute((trx) => opts.onRecovered!(trx, outage, outage.until));
      } catch (err) {
        log('error', `outbox: the staff notice of the relay outage could not be queued: ${messageOf(err)}`);
      }
    }
    return true;
  }

  /**
   * Finds due rows no other worker holds and leases them, in one transaction; returns those this
   * worker got. On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED, so processes claiming at once
   * take different rows instead of queueing on each other's; on SQLite the transaction (IMMEDIATE)
   * already runs alone. The update still checks the row is as read, whatever the engine.
   */
  async function claimDue(): Promise<{ found: number; mine: OutboxRow[] }> {
    const t = now().toISOString();
    const lease = new Date(now().getTime() + LEASE_MS).toISOString();
    return opts.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('outbox')
        .selectAll()
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', t)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', t)]))
        .orderBy('id')
        .limit(BATCH);
      if (hasRowLocks(trx)) query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (!rows.length) return { found: 0, mine: [] };
      await commitDurably(trx);
      const mine: OutboxRow[] = [];
      for (const row of rows) {
        const res = await trx
          .updateTable('outbox')
          .set({ lease_until: lease, lease_holder: holder, attempts: row.attempts + 1 })
          .where('id', '=', row.id)
          .where('state', '=', 'pending')
          .where('attempts', '=', row.attempts)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 1) mine.push(row);
      }
      return { found: rows.length, mine };
    });
  }

  /**
   * Sends the claimed rows at once and records outcomes as they come, a transaction for whatever
   * arrived while the one before committed: a relay's 250 is recorded within about one commit, so a
   * kill duplicates at most the few sends that ended in that time, not the whole batch.
   */
  async function sendAll(rows: OutboxRow[]): Promise<number> {
    const arrived: Outcome[] = [];
    let recording: Promise<void> = Promise.resolve();
    const flush = () => (recording = recording.then(() => {
      if (!arrived.length) return;
      const outcomes = arrived.splice(0);
      return record(outcomes).catch((err: unknown) => {
        unrecorded.push(...outcomes);
        throw err;
      });
    }));
    const results = await Promise.all(
      rows.map((row) =>
        opts.mailer.send(row).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        ).then((result) => {
          arrived.push({ row, result });
          // A failure to record is the last flush's to report.
          flush().catch(() => {});
          return result;
        }),
      ),
    );
    try {
      await flush();
    } catch (err) {
      // Outcomes that arrived after a recording failed were never tried: kept for the next run too.
      unrecorded.push(...arrived.splice(0));
      throw err;
    }
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  async function record(outcomes: Outcome[]): Promise<void> {
    const at = now();
    await opts.db.transaction().execute(async (trx) => {
      for (const { row, result } of outcomes) {
        if (result.status === 'fulfilled') {
          metrics.sent();
          await trx
            .updateTable('outbox')
            .set({ state: 'sent', sent_at: at.toISOString(), server_response: result.value.response, lease_until: null, lease_holder: null, last_error: null })
            .where('id', '=', row.id)
            .execute();
          continue;
        }
        const err = result.reason;
        const error = messageOf(err);
        const response = (err as { response?: string }).response ?? null;
        const kind = classifyFailure(err);
        metrics.sendFailed(kind);
        if (kind === 'relay') {
          // Not the message's fault: back to pending as it was, its attempt not counted.
          await trx
            .updateTable('outbox')
            .set({ attempts: row.attempts, lease_until: null, lease_holder: null, last_error: error, server_response: response })
            .where('id', '=', row.id)
            .execute();
          pause(at, error);
          continue;
        }
        const attempts = row.attempts + 1;
        const expired = at.getTime() - Date.parse(row.created_at) >= windowMs;
        const final = kind === 'recipient' || expired;
        await trx
          .updateTable('outbox')
          .set({
            state: final ? 'failed' : 'pending',
            last_error: error,
            server_response: response,
            next_attempt_at: new Date(at.getTime() + retryDelayMs(attempts, opts.backoffSeconds)).toISOString(),
            lease_until: null,
            lease_holder: null,
          })
          .where('id', '=', row.id)
          .execute();
        if (kind === 'recipient') await markBouncing(trx, [row.recipient], response ?? error, at);
        log(final ? 'error' : 'warn', `outbox ${row.id} to ${row.recipient} ${
          kind === 'recipient' ? 'refused, failed' : final ? `failed after ${attempts} attempts in ${opts.retryForHours} h` : 'will retry'
        }: ${error}`, { outboxId: row.id, recipient: row.recipient, ticketId: row.ticket_id, kind, attempts, state: final ? 'failed' : 'pending' });
      }
    });
  }

  async function drain(): Promise<number> {
    let sent = 0;
    await settleLeftovers();
    try {
      await releaseGone();
    } catch (err) {
      log('warn', `outbox: could not look for leases of processes that are gone: ${messageOf(err)}`);
    }
    if (!(await probe())) return sent;
    for (;;) {
      if (stopped) return sent;
      let due: { found: number; mine: OutboxRow[] };
      try {
        due = await claimDue();
      } catch (err) {
        claimInDoubt = true;
        throw err;
      }
      if (!due.found) return sent;
      sent += await sendAll(due.mine);
      if (stall || due.found < BATCH) return sent;
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
    health() {
      return stall
        ? { stalledSince: stall.since, lastError: stall.lastError, stalledForMs: Math.max(0, now().getTime() - stall.since.getTime()) }
        : { stalledSince: null, lastError: null, stalledForMs: 0 };
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
