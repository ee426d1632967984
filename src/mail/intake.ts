// The intake pipeline for raw messages, whatever brought them (IMAP, MTA pipe, SMTP intake): bytes
// to disk and prepare (parse, attachments, text) on the prepare thread → rows (one transaction,
// before anything is applied) → apply (one transaction, a savepoint per message) → tell the outbox.
// Resolves once every message is durably recorded with an outcome; a message that cannot be
// processed is recorded as failed with its reason and never stops the messages after it. It throws
// only when the raw bytes could not be stored or the outcomes not committed: the caller must then
// leave the messages on the server and try again (a replay finds the stored rows and finishes them).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database, InboundState } from '../db/schema.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { ChangeDeps } from '../tickets/change-ticket.ts';
import { applyInTransaction, type ApplySettings, type Outcome } from './apply.ts';
import { inlinePreparer, threadPreparer, type PrepareJob, type Preparer } from './prepare-thread.ts';
import { createFanOut, recordRaw } from './raw-store.ts';
import type { MailSource } from './types.ts';

export interface IntakeOptions {
  db: Kysely<Database>;
  dataDir: string;
  notifier: Notifier;
  change: ChangeDeps;
  settings: ApplySettings;
  limits: { maxMessageBytes: number; maxAttachmentBytes: number };
  /** Parse on a worker thread (the default) or on the caller's thread (one-shot commands). */
  thread?: boolean;
  /** Called after a commit that queued mail. */
  onMailQueued?: () => void;
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;
}

export interface IntakeResult {
  inboundId: number;
  state: InboundState;
  outcome: string;
  ticketNumber: number | null;
  duplicate: boolean;
}

export function createIntake(opts: IntakeOptions) {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const rawDir = path.join(opts.dataDir, 'raw');
  const prepareOptions = { rawDir, filesDir: path.join(opts.dataDir, 'attachments'), limits: opts.limits };
  createFanOut(prepareOptions.rawDir);
  createFanOut(prepareOptions.filesDir);
  const preparer: Preparer = opts.thread === false
    ? inlinePreparer(prepareOptions)
    : threadPreparer(prepareOptions, (msg) => log('error', msg));

  async function record(db: Kysely<Database>, id: number, state: InboundState, outcome: string): Promise<void> {
    await db
      .updateTable('inbound_message')
      .set({ state, outcome, processed_at: now().toISOString() })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** The next batch, handed over early so the prepare thread works on it during this one. */
  let ahead: { raws: Buffer[]; job: PrepareJob } | null = null;
  function prepareAhead(raws: Buffer[]): void {
    ahead = { raws, job: preparer.run(raws) };
  }

  /**
   * Several messages at once, in order: raw rows stored in one transaction, then every message
   * applied in ONE transaction with a savepoint each, so a backlog costs two commits per batch
   * instead of two per message, and one message that fails to apply is rolled back alone and
   * recorded as failed. Throws only when storing or committing failed: nothing is then marked done.
   */
  async function handleBatch(items: Array<{ raw: Buffer; source: MailSource }>): Promise<IntakeResult[]> {
    const at = now();
    const early = ahead && ahead.raws.length === items.length && ahead.raws.every((raw, i) => raw === items[i]!.raw) ? ahead.job : null;
    // Another source's batch (SMTP intake beside IMAP) leaves the next IMAP chunk's head start alone.
    if (early) ahead = null;
    const job = early ?? preparer.run(items.map((item) => item.raw));
    const bytes = await job.stored;
    const stored = await opts.db.transaction().execute(async (trx) => {
      const rows = [];
      for (const [i, item] of items.entries()) rows.push(await recordRaw(trx, bytes[i]!, item.source, at));
      return rows;
    });

    const outcomes: Array<Outcome | null> = [];
    const results = await opts.db.transaction().execute(async (trx) => {
      const done: IntakeResult[] = [];
      for (const [i, { row, duplicate }] of stored.entries()) {
        outcomes.push(null);
        if (row.state !== 'pending') {
          done.push({ inboundId: row.id, state: row.state, outcome: row.outcome ?? '', ticketNumber: null, duplicate });
          continue;
        }
        // The prepare thread runs ahead: this message is usually parsed by the time it is its turn.
        const prepared = await job.prepared[i]!;
        if (prepared.kind === 'rejected') {
          await record(trx, row.id, prepared.state, prepared.reason);
          done.push({ inboundId: row.id, state: prepared.state, outcome: prepared.reason, ticketNumber: null, duplicate });
          continue;
        }
        await sql`savepoint message`.execute(trx);
        try {
          const o = await applyInTransaction(trx, { notifier: opts.notifier, change: opts.change, settings: opts.settings, now: now() }, { inbound: row, ...prepared });
          await sql`release savepoint message`.execute(trx);
          outcomes[outcomes.length - 1] = o;
          done.push({ inboundId: row.id, state: o.state, outcome: o.outcome, ticketNumber: o.ticketNumber, duplicate });
        } catch (err) {
          await sql`rollback to savepoint message`.execute(trx);
          await sql`release savepoint message`.execute(trx);
          const reason = `processing failed: ${(err as Error).message}`;
          await record(trx, row.id, 'failed', reason);
          done.push({ inboundId: row.id, state: 'failed', outcome: reason, ticketNumber: null, duplicate });
        }
      }
      return done;
    });

    for (const r of results) {
      if (r.state === 'failed') log('warn', `inbound ${r.inboundId}: ${r.outcome}`);
      else log('info', `inbound ${r.inboundId}: ${r.state} ${r.outcome}${r.ticketNumber ? ` #${r.ticketNumber}` : ''}`);
    }
    for (const o of outcomes) if (o?.replay !== undefined) await replayPending(o.replay);
    if (outcomes.some((o) => o?.queuedMail)) opts.onMailQueued?.();
    return results;
  }

  async function handle(raw: Buffer, source: MailSource): Promise<IntakeResult> {
    const [result] = await handleBatch([{ raw, source }]);
    return result!;
  }

  /**
   * Runs a stored message through the pipeline again (held mail once its sender is validated,
   * failed mail after a fix). The raw bytes on disk are the source of truth.
   */
  async function replay(inboundId: number): Promise<IntakeResult> {
    await opts.db
      .updateTable('inbound_message')
      .set({ state: 'pending', outcome: null, processed_at: null })
      .where('id', '=', inboundId)
      .execute();
    return replayPending(inboundId);
  }

  async function replayPending(inboundId: number): Promise<IntakeResult> {
    const row = await opts.db.selectFrom('inbound_message').selectAll().where('id', '=', inboundId).executeTakeFirstOrThrow();
    const raw = await readFile(path.join(rawDir, row.raw_path));
    return handle(raw, { mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid });
  }

  return { handle, handleBatch, prepareAhead, replay, warm: () => preparer.warm(), close: () => preparer.close() };
}

export type Intake = ReturnType<typeof createIntake>;
