// The intake pipeline for raw messages, whatever brought them (IMAP, MTA pipe, SMTP intake): bytes
// to disk and prepare (parse, attachments, text) on the prepare thread → rows (one transaction,
// before anything is applied) → apply (a transaction per batch, a savepoint per message) → tell the caller.
// Resolves once every message is durably recorded with an outcome; a message that cannot be
// processed is recorded as failed with its reason and never stops the messages after it. It throws
// only when the raw bytes could not be stored or the outcomes not committed: the caller must then
// leave the messages on the server and try again (a replay finds the stored rows and finishes them).
//
// Batches are prepared as soon as they are handed over and applied in the order they were handed
// over, so a source may hand over the next batch while this one is applied (the IMAP poller does,
// as soon as it has fetched it): parsing it then overlaps the database work. A batch handed over
// while an earlier one is still in hand is applied only if that one succeeds, so mail is never
// applied out of order (a reply before the mail that opened its ticket).
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database, InboundState } from '../db/schema.ts';
import { noMetrics, silentLog, type Log, type Metrics } from '../log.ts';
import { applyInTransaction, type IntakeNotices, type IntakeSettings } from './apply.ts';
import { recordRaw, reject, release, reset, type Finished } from './inbound.ts';
import { advanceCursor, lastHandledUid } from './mailbox-cursor.ts';
import { withDkim, type DnsResolver } from './dkim.ts';
import { inlinePreparer, threadPreparer, type PrepareJob, type Preparer } from './prepare-thread.ts';
import { createFanOut, openRawSpool, removeStaleSpools, SPOOL_BYTES, type RawMessage, type RawSpool } from './raw-store.ts';
import type { MailSource } from './types.ts';

/** Messages let ready before a transaction opens after the apply caught up with the prepare thread. */
const RUN = 50;
/** The longest that run is waited for. */
const RUN_WAIT_MS = 100;
/** The raw bytes read for one batch of a replay at start, at most (beyond one message). */
const REPLAY_CHUNK_BYTES = 32 * 1024 * 1024;

export interface IntakeOptions {
  db: Kysely<Database>;
  dataDir: string;
  notices: IntakeNotices;
  settings: IntakeSettings;
  /** parseSeconds: the prepare thread's time budget per message (the inline preparer has none). */
  limits: { maxMessageBytes: number; maxAttachmentBytes: number; parseSeconds?: number };
  /** Parse on a worker thread (the default) or on the caller's thread (one-shot commands). */
  thread?: boolean;
  /** The prepare thread's entry point; tests give one that dies or hangs on purpose. */
  prepareEntry?: URL;
  /** Verify DKIM signatures here (authentication.verifyDkim), with this resolver (the system's when unset). */
  dkim?: { resolver?: DnsResolver } | null;
  /** Called after each committed batch: what it queued (acknowledgements, alerts) can be sent. */
  onCommitted?: () => void;
  now?: () => Date;
  log?: Log;
  /** Each message's outcome and how long its batch took, for /metrics. */
  metrics?: Metrics;
}

export interface IntakeResult {
  inboundId: number;
  state: InboundState;
  outcome: string;
  ticketNumber: number | null;
  duplicate: boolean;
}

export interface IntakeItem {
  /** The bytes, or for a large message the name the source stored them under (openRawSpool). */
  raw: RawMessage;
  source: MailSource;
}

export function createIntake(opts: IntakeOptions) {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? silentLog;
  const metrics = opts.metrics ?? noMetrics;
  const rawDir = path.join(opts.dataDir, 'raw');
  const prepareOptions = { rawDir, filesDir: path.join(opts.dataDir, 'attachments'), limits: opts.limits };
  createFanOut(prepareOptions.rawDir);
  createFanOut(prepareOptions.filesDir);
  const preparing: Preparer = opts.thread === false
    ? inlinePreparer(prepareOptions)
    : threadPreparer(prepareOptions, (msg) => log('error', msg), opts.prepareEntry);
  const preparer = opts.dkim ? withDkim(preparing, rawDir, opts.dkim.resolver) : preparing;

  // Batches apply one after the other; one queued behind a batch in hand fails with it.
  let tail: Promise<unknown> = Promise.resolve();
  let inHand = 0;
  function inOrder<T>(apply: () => Promise<T>): Promise<T> {
    const base = inHand === 0 ? Promise.resolve() : tail;
    inHand++;
    const run = base
      .then(apply, (err: Error) => {
        throw new Error(`not applied: an earlier batch failed (${err.message})`);
      })
      .finally(() => inHand--);
    tail = run;
    run.catch(() => {}); // the caller hears of a failure; the queue itself must not report it unhandled
    return run;
  }

  /**
   * Raw rows stored in one transaction, then every message applied in ONE transaction with a
   * savepoint each, so a backlog costs two commits per batch instead of two per message, and one
   * message that fails to apply is rolled back alone and recorded as failed.
   */
  async function applyBatch(items: IntakeItem[], job: PrepareJob): Promise<{ results: IntakeResult[]; finished: Array<Finished | null>; messageIds: Array<string | null> }> {
    const at = now();
    const bytes = await job.stored;
    const stored = await opts.db.transaction().execute(async (trx) => {
      const rows = [];
      for (const [i, item] of items.entries()) rows.push(await recordRaw(trx, bytes[i]!, item.source, at));
      return rows;
    });

    // The prepare thread usually runs ahead, so most messages are prepared by their turn. One that
    // is not yet (up to limits.parseSeconds) must not hold a write transaction, and with it every
    // writer, waiting: what is applied so far is committed, the wait happens outside, and applying
    // goes on in a new transaction.
    const ready: boolean[] = job.prepared.map(() => false);
    job.prepared.forEach((p, i) => void p.then(() => (ready[i] = true)));
    const finished: Array<Finished | null> = [];
    const results: IntakeResult[] = [];
    while (results.length < stored.length) {
      const next = results.length;
      if (stored[next]!.row.state === 'pending' && !ready[next]) {
        await job.prepared[next];
        await catchUp(job, next);
      }
      await opts.db.transaction().execute(async (trx) => {
        for (let i = results.length; i < stored.length; i++) {
          const { row, duplicate } = stored[i]!;
          if (row.state === 'pending' && !ready[i] && i > next) return;
          finished.push(null);
          if (row.state !== 'pending') {
            results.push({ inboundId: row.id, state: row.state, outcome: row.outcome ?? '', ticketNumber: null, duplicate });
            continue;
          }
          const prepared = await job.prepared[i]!;
          if (prepared.kind === 'rejected') {
            await reject(trx, row.id, prepared.state, prepared.reason, now());
            results.push({ inboundId: row.id, state: prepared.state, outcome: prepared.reason, ticketNumber: null, duplicate });
            continue;
          }
          await sql`savepoint message`.execute(trx);
          try {
            const f = await applyInTransaction(trx, { notices: opts.notices, settings: opts.settings, now: now() }, { inbound: row, ...prepared });
            await sql`release savepoint message`.execute(trx);
            finished[i] = f;
            results.push({ inboundId: row.id, state: f.state, outcome: f.outcome, ticketNumber: f.ticketNumber, duplicate });
          } catch (err) {
            await sql`rollback to savepoint message`.execute(trx);
            await sql`release savepoint message`.execute(trx);
            const reason = `processing failed: ${(err as Error).message}`;
            await reject(trx, row.id, 'failed', reason, now());
            results.push({ inboundId: row.id, state: 'failed', outcome: reason, ticketNumber: null, duplicate });
          }
        }
      });
    }
    // A mailbox slot whose bytes duplicated an earlier message left no row of its own: the cursor
    // remembers it, so the next round does not fetch it again.
    const skipped = items.filter((item, i) => results[i]!.duplicate && item.source.uid !== null && item.source.uidValidity !== null).at(-1);
    if (skipped) await advanceCursor(opts.db, skipped.source.mailbox, skipped.source.uidValidity!, skipped.source.uid!);
    return { results, finished, messageIds: stored.map((s) => s.row.message_id) };
  }

  /**
   * The apply has caught up with the prepare thread, which works at about the same pace: opening a
   * transaction as soon as the awaited message is ready would commit every few messages (a commit
   * costs more than applying a message). So a run of the messages after it is let ready
   * first, still outside any transaction, for at most RUN_WAIT_MS: a message slow to prepare holds
   * back the ones before it only that long.
   */
  async function catchUp(job: PrepareJob, next: number): Promise<void> {
    const last = job.prepared[Math.min(next + RUN, job.prepared.length) - 1]!;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise((resolve) => (timer = setTimeout(resolve, RUN_WAIT_MS)))]);
    clearTimeout(timer);
    // The thread's answers arrive one message event at a time, and this code resumes after the
    // one it awaited: let the others already queued arrive too.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Several messages at once, in order. Throws only when storing or committing failed: nothing is then marked done. */
  async function handleBatch(items: IntakeItem[]): Promise<IntakeResult[]> {
    const handedAt = performance.now();
    // Preparing starts now, even while an earlier batch is still being applied.
    const job = preparer.run(items.map((item) => item.raw));
    const { results, finished, messageIds } = await inOrder(() => applyBatch(items, job));
    opts.onCommitted?.();
    const seconds = (performance.now() - handedAt) / 1000;
    for (const [i, r] of results.entries()) {
      metrics.inbound(r.duplicate ? 'duplicate' : r.state, seconds);
      // One line per message with what an operator searches by: the row, the Message-ID, the ticket.
      const fields = {
        inboundId: r.inboundId, messageId: messageIds[i] ?? null, source: items[i]!.source.mailbox,
        state: r.state, outcome: r.outcome, ticket: r.ticketNumber, ...(r.duplicate ? { duplicate: true } : {}),
      };
      if (r.state === 'failed') log('warn', `inbound ${r.inboundId}: ${r.outcome}`, fields);
      else log('info', `inbound ${r.inboundId}: ${r.state} ${r.outcome}${r.ticketNumber ? ` #${r.ticketNumber}` : ''}`, fields);
    }
    for (const f of finished) if (f?.replay !== undefined) await replayPending(f.replay);
    return results;
  }

  async function handle(raw: RawMessage, source: MailSource): Promise<IntakeResult> {
    const [result] = await handleBatch([{ raw, source }]);
    return result!;
  }

  /**
   * Runs a stored message through the pipeline again (held mail once its sender is validated,
   * failed mail after a fix). The raw bytes on disk are the source of truth.
   */
  async function replay(inboundId: number): Promise<IntakeResult> {
    await reset(opts.db, inboundId);
    return replayPending(inboundId);
  }

  /** Staff release a held message (past its sender's bound of new tickets): it goes through again, let through. */
  async function releaseHeld(inboundId: number): Promise<IntakeResult | null> {
    if (!(await release(opts.db, inboundId, now()))) return null;
    return replayPending(inboundId);
  }

  /**
   * Finishes what an earlier run stored and never applied (it was killed, or the power went, between
   * the raw row's commit and the apply's), oldest first, before the sources start so that a reply
   * stays after the mail it answers. Only mail whose source was told and will not hand it over
   * again: taken by the SMTP receiver, `guichet ingest` or the admin's form. IMAP rows are left to
   * the poller, which fetches them again and must, to flag them on the server. Rows younger than
   * `minAgeMs` may be in the hands of another process (PostgreSQL) or of a running `guichet ingest`;
   * an older one still in hand is harmless too: the apply claims the row, so only one process
   * applies it, and the other records it as already processed.
   */
  async function replayStored(minAgeMs: number): Promise<IntakeResult[]> {
    const cutoff = new Date(now().getTime() - minAgeMs).toISOString();
    const rows = await opts.db
      .selectFrom('inbound_message')
      .select(['id', 'raw_path', 'size', 'sha256', 'message_id', 'mailbox', 'uid_validity', 'uid'])
      .where('state', '=', 'pending')
      .where('uid', 'is', null)
      .where('received_at', '<', cutoff)
      .orderBy('id')
      .execute();
    const results: IntakeResult[] = [];
    // Read a chunk at a time: a backlog of large messages must not be held in memory at once.
    let chunk: IntakeItem[] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length) results.push(...(await handleBatch(chunk)));
      chunk = [];
      bytes = 0;
    };
    for (const row of rows) {
      let raw: RawMessage;
      try {
        raw = await readStored(row);
      } catch (err) {
        // Not expected (the file is synced before its row commits): recorded so that staff see it.
        const reason = `raw file unreadable at replay: ${(err as Error).message}`;
        await reject(opts.db, row.id, 'failed', reason, now());
        log('warn', `inbound ${row.id}: ${reason}`, { inboundId: row.id, state: 'failed' });
        results.push({ inboundId: row.id, state: 'failed', outcome: reason, ticketNumber: null, duplicate: true });
        continue;
      }
      chunk.push({ raw, source: { mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid } });
      bytes += Buffer.isBuffer(raw) ? raw.length : 0;
      if (chunk.length >= RUN || bytes >= REPLAY_CHUNK_BYTES) await flush();
    }
    await flush();
    return results;
  }

  async function replayPending(inboundId: number): Promise<IntakeResult> {
    const row = await opts.db.selectFrom('inbound_message').selectAll().where('id', '=', inboundId).executeTakeFirstOrThrow();
    return handle(await readStored(row), { mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid });
  }

  /** A stored message to take in again: its bytes, or a large one by name (read from the file as it is parsed). */
  async function readStored(row: { raw_path: string; size: number; sha256: string; message_id: string | null }): Promise<RawMessage> {
    const file = path.join(rawDir, row.raw_path);
    if (row.size <= SPOOL_BYTES) return readFile(file);
    await access(file, constants.R_OK); // unreadable is the caller's to report, as for a small one
    return { spooled: { sha256: row.sha256, rawPath: row.raw_path, size: row.size, messageId: row.message_id } };
  }

  return {
    handle,
    handleBatch,
    replay,
    release: releaseHeld,
    replayStored,
    /** The highest UID of a mailbox (at this UIDVALIDITY) that needs no fetching again. */
    lastUid: (mailbox: string, uidValidity: number) => lastHandledUid(opts.db, mailbox, uidValidity),
    warm: () => preparer.warm(),
    /**
     * Where a source writes a large message as it arrives (over SPOOL_BYTES): its `finish()` is on
     * stable storage and goes to handle() as the message.
     */
    spool: (): Promise<RawSpool> => openRawSpool(rawDir),
    /**
     * Removes the temporary files of large messages never finished and untouched for `olderThanMs`
     * (file times are the machine's, whatever clock the intake was given).
     */
    removeStaleSpools: (olderThanMs: number) => removeStaleSpools([rawDir, prepareOptions.filesDir], olderThanMs),
    /** Lets the batches in hand commit (their sources are waiting to mark them), then ends the prepare thread. */
    close: async () => {
      await tail.then(() => {}, () => {});
      await preparer.close();
    },
  };
}

export type Intake = ReturnType<typeof createIntake>;
