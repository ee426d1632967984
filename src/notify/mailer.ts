// The sending edge: nodemailer over pooled SMTP, or, for the demo and for tests that only need the
// bytes, a capture folder where each outbound message lands as an .eml file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../db/schema.ts';

export interface SendResult {
  response: string;
}

export interface Mailer {
  send(row: OutboxRow): Promise<SendResult>;
  verify(): Promise<void>;
  close(): void;
}

/** A refusal the server will repeat (5xx): retrying cannot help, so the row fails at once. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function message(row: OutboxRow, from: string) {
  return {
    from,
    to: row.recipient,
    subject: row.subject,
    html: row.html,
    text: row.text,
    messageId: row.message_id,
    inReplyTo: row.in_reply_to ?? undefined,
    references: row.references ?? undefined,
    replyTo: row.reply_to ?? undefined,
    headers: {
      'Auto-Submitted': row.auto_submitted,
      // Asks Exchange/Outlook not to answer with out-of-office or read receipts: no mail loops.
      'X-Auto-Response-Suppress': 'All',
      Precedence: 'bulk',
    },
  };
}

export function createSmtpMailer(opts: { url: string; from: string; tlsRejectUnauthorized?: boolean }): Mailer {
  const transport = nodemailer.createTransport({
    url: opts.url,
    pool: true,
    maxConnections: 3,
    tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true },
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(row) {
      const info = await transport.sendMail(message(row, opts.from));
      return { response: String(info.response ?? 'sent') };
    },
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}

export function createCaptureMailer(opts: { dir: string; from: string }): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let n = 0;
  return {
    async send(row) {
      const info = await transport.sendMail(message(row, opts.from));
      await mkdir(opts.dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++n}`;
      const tmp = path.join(opts.dir, `${name}.tmp`);
      await writeFile(tmp, info.message as Buffer);
      await rename(tmp, path.join(opts.dir, `${name}.eml`));
      return { response: `captured ${name}.eml` };
    },
    async verify() {
      await mkdir(opts.dir, { recursive: true });
    },
    close() {},
  };
}
