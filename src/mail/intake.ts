// The intake pipeline for one raw message, whatever brought it (IMAP, MTA pipe, SMTP intake):
// store raw → parse → classify → apply (one transaction) → tell the outbox. Resolves once the
// message is durably recorded with an outcome; a message that cannot be processed is recorded as
// failed with its reason and never stops the messages after it. It throws only when the raw bytes
// could not be stored: the caller must then leave the message on the server and try again.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database, InboundState } from '../db/schema.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { ChangeDeps } from '../tickets/change-ticket.ts';
import type { AttachmentInput } from '../tickets/ticket-service.ts';
import { applyMail, type ApplySettings } from './apply.ts';
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

  async function record(id: number, state: InboundState, outcome: string): Promise<void> {
    await opts.db
      .updateTable('inbound_message')
      .set({ state, outcome, processed_at: now().toISOString() })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }

  async function handle(raw: Buffer, source: MailSource): Promise<IntakeResult> {
    const { row, duplicate } = await storeRaw(opts.db, rawDir, raw, source, now());
    if (row.state !== 'pending') {
      return { inboundId: row.id, state: row.state, outcome: row.outcome ?? '', ticketNumber: null, duplicate };
    }
    const result = (state: InboundState, outcome: string, ticketNumber: number | null = null): IntakeResult => ({
      inboundId: row.id, state, outcome, ticketNumber, duplicate,
    });

    if (raw.length > opts.limits.maxMessageBytes) {
      const reason = `message of ${raw.length} bytes exceeds limits.maxMessageBytes (${opts.limits.maxMessageBytes})`;
      await record(row.id, 'quarantined', reason);
      return result('quarantined', reason);
    }

    let mail: InboundMail;
    try {
      mail = await parseMail(raw);
    } catch (err) {
      const reason = `parse failed: ${(err as Error).message}`;
      log('warn', `inbound ${row.id}: ${reason}`);
      await record(row.id, 'failed', reason);
      return result('failed', reason);
    }

    try {
      const { stored, omitted } = await storeAttachments(mail);
      let bodyText = mail.text.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
      if (omitted.length) {
        bodyText += `\n\n[${omitted.length} attachment(s) over the size limit kept only in the original message: ${omitted.join(', ')}]`;
      }
      const returnPath = mail.headers['return-path'] ?? null;
      const outcome = await applyMail(
        opts.db,
        { notifier: opts.notifier, change: opts.change, settings: opts.settings, now: now() },
        { inbound: row, mail, bodyText, classification: classify(mail, returnPath), attachments: stored },
      );
      if (outcome.replay !== undefined) await replayPending(outcome.replay);
      if (outcome.queuedMail) opts.onMailQueued?.();
      log('info', `inbound ${row.id} ${mail.messageId}: ${outcome.state} ${outcome.outcome}${outcome.ticketNumber ? ` #${outcome.ticketNumber}` : ''}`);
      return result(outcome.state, outcome.outcome, outcome.ticketNumber);
    } catch (err) {
      const reason = `processing failed: ${(err as Error).message}`;
      log('error', `inbound ${row.id}: ${reason}`);
      await record(row.id, 'failed', reason);
      return result('failed', reason);
    }
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

  return { handle, replay };
}

export type Intake = ReturnType<typeof createIntake>;
