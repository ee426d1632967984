// The sending edge: nodemailer over pooled SMTP, or, for the demo and for tests that only need the
// bytes, a capture folder where each outbound message lands as an .eml file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
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
    // base64 costs a third of quoted-printable's CPU on the long HTML part; every client reads it.
    textEncoding: 'base64' as const,
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
  const worker = new Worker(new URL('./smtp-sender.worker.mjs', import.meta.url), {
    workerData: { transport: { url: opts.url, pool: true, maxConnections: 3, tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true } } },
  });
  // The worker must not keep a stopping process alive; a pending send keeps it referenced.
  worker.unref();
  const pending = new Map<number, { resolve: (r: SendResult) => void; reject: (e: Error) => void }>();
  let next = 0;
  worker.on('message', (m: { id: number; response?: string; error?: { message: string; responseCode?: number; response?: string } }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (!pending.size) worker.unref();
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { responseCode: m.error.responseCode, response: m.error.response }));
    else p.resolve({ response: m.response ?? '' });
  });
  worker.on('error', (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const call = (msg: object) =>
    new Promise<SendResult>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...msg, id });
    });
  return {
    send: (row) => call({ kind: 'send', message: message(row, opts.from) }),
    verify: async () => {
      await call({ kind: 'verify' });
    },
    close: () => worker.postMessage({ kind: 'close' }),
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
