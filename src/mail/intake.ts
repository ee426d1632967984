// The intake pipeline for raw messages, whatever brought them (IMAP, MTA pipe, SMTP intake):
// store raw → parse → classify → apply (one transaction) → tell the outbox. Resolves once every
// message is durably recorded with an outcome; a message that cannot be processed is recorded as
// failed with its reason and never stops the messages after it. It throws only when the raw bytes
// could not be stored or the outcomes not committed: the caller must then leave the messages on
// the server and try again (a replay finds the stored rows and finishes them).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database, InboundMessage, InboundState } from '../db/schema.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { ChangeDeps } from '../tickets/change-ticket.ts';
import type { AttachmentInput } from '../tickets/ticket-service.ts';
import { applyInTransaction, type ApplyInput, type ApplySettings, type Outcome } from './apply.ts';
import { classify } from './classify.ts';
import { parseMail } from './parse.ts';
import { storeRaw, writeContentAddressed } from './raw-store.ts';
import { htmlToText } from './html-text.ts';
import type { InboundMail, MailSource } from './types.ts';

export interface IntakeOptions {
  db: Kysely<Database>;
  dataDir: string;
  notifier: Notifier;
  change: ChangeDeps;
  settings: ApplySettings;
  limits: { maxMessageBytes: number; maxAttachmentBytes: number };
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

/** A filename that is safe on any disk and in a Content-Disposition header. */
export function safeFilename(name: string, fallback: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).normalize('NFC');
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, '_').replace(/^\.+/, '').trim().slice(0, 180);
  return cleaned || fallback;
}

export function createIntake(opts: IntakeOptions) {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const rawDir = path.join(opts.dataDir, 'raw');
  const filesDir = path.join(opts.dataDir, 'attachments');

  async function storeAttachments(mail: InboundMail): Promise<{ stored: AttachmentInput[]; omitted: string[] }> {
    const stored: AttachmentInput[] = [];
    const omitted: string[] = [];
    for (const [i, a] of mail.attachments.entries()) {
      const filename = safeFilename(a.filename, `attachment-${i + 1}`);
      if (a.size > opts.limits.maxAttachmentBytes) {
        omitted.push(filename);
        continue;
      }
      writeContentAddressed(filesDir, a.content, '', a.sha256);
      stored.push({ filename, contentType: a.contentType, size: a.size, sha256: a.sha256, contentId: a.contentId, inline: a.inline });
    }
    return { stored, omitted };
  }

  async function record(db: Kysely<Database>, id: number, state: InboundState, outcome: string): Promise<void> {
    await db
      .updateTable('inbound_message')
      .set({ state, outcome, processed_at: now().toISOString() })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  type Prepared =
    | { kind: 'skip'; result: IntakeResult }
    | { kind: 'record'; result: IntakeResult }
    | { kind: 'apply'; input: ApplyInput; duplicate: boolean };

  /** Parse and the work outside the database, for one stored message still pending. */
  async function prepare(row: InboundMessage, raw: Buffer, duplicate: boolean): Promise<Prepared> {
    const result = (state: InboundState, outcome: string): IntakeResult => ({ inboundId: row.id, state, outcome, ticketNumber: null, duplicate });
    if (row.state !== 'pending') return { kind: 'skip', result: result(row.state, row.outcome ?? '') };
    if (raw.length > opts.limits.maxMessageBytes) {
      return { kind: 'record', result: result('quarantined', `message of ${raw.length} bytes exceeds limits.maxMessageBytes (${opts.limits.maxMessageBytes})`) };
    }
    let mail: InboundMail;
    try {
      mail = await parseMail(raw);
    } catch (err) {
      return { kind: 'record', result: result('failed', `parse failed: ${(err as Error).message}`) };
    }
    try {
      const { stored, omitted } = await storeAttachments(mail);
      let bodyText = mail.text.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
      if (omitted.length) {
        bodyText += `\n\n[${omitted.length} attachment(s) over the size limit kept only in the original message: ${omitted.join(', ')}]`;
      }
      const classification = classify(mail, mail.headers['return-path'] ?? null);
      return { kind: 'apply', duplicate, input: { inbound: row, mail, bodyText, classification, attachments: stored } };
    } catch (err) {
      return { kind: 'record', result: result('failed', `processing failed: ${(err as Error).message}`) };
    }
  }

  /**
   * Several messages at once, in order: raw rows stored in one transaction, then every message
   * applied in ONE transaction with a savepoint each, so a backlog costs two commits per batch
   * instead of two per message, and one message that fails to apply is rolled back alone and
   * recorded as failed. Throws only when storing or committing failed: nothing is then marked done.
   */
  async function handleBatch(items: Array<{ raw: Buffer; source: MailSource }>): Promise<IntakeResult[]> {
    const at = now();
    const stored = await opts.db.transaction().execute(async (trx) => {
      const rows = [];
      for (const item of items) rows.push(await storeRaw(trx, rawDir, item.raw, item.source, at));
      return rows;
    });
    const prepared: Prepared[] = [];
    for (const [i, s] of stored.entries()) prepared.push(await prepare(s.row, items[i]!.raw, s.duplicate));

    const outcomes: Array<Outcome | null> = [];
    const results = await opts.db.transaction().execute(async (trx) => {
      const done: IntakeResult[] = [];
      for (const p of prepared) {
        outcomes.push(null);
        if (p.kind === 'skip') {
          done.push(p.result);
        } else if (p.kind === 'record') {
          await record(trx, p.result.inboundId, p.result.state, p.result.outcome);
          done.push(p.result);
        } else {
          const id = p.input.inbound.id;
          await sql`savepoint message`.execute(trx);
          try {
            const o = await applyInTransaction(trx, { notifier: opts.notifier, change: opts.change, settings: opts.settings, now: now() }, p.input);
            await sql`release savepoint message`.execute(trx);
            outcomes[outcomes.length - 1] = o;
            done.push({ inboundId: id, state: o.state, outcome: o.outcome, ticketNumber: o.ticketNumber, duplicate: p.duplicate });
          } catch (err) {
            await sql`rollback to savepoint message`.execute(trx);
            await sql`release savepoint message`.execute(trx);
            const reason = `processing failed: ${(err as Error).message}`;
            await record(trx, id, 'failed', reason);
            done.push({ inboundId: id, state: 'failed', outcome: reason, ticketNumber: null, duplicate: p.duplicate });
          }
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

  return { handle, handleBatch, replay };
}

export type Intake = ReturnType<typeof createIntake>;
