// The sending edge: nodemailer over pooled SMTP, or, for the demo and for tests that only need the
// bytes, a capture folder where each outbound message lands as an .eml file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../db/schema.ts';
import { workerThread } from '../worker-thread.ts';

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

type SenderRequest = { kind: 'send'; message: ReturnType<typeof message> } | { kind: 'verify' };
type SenderAnswer = { response?: string; error?: { message: string; responseCode?: number; response?: string } };

/**
 * Sends on a worker thread (smtp-sender.worker.mjs). When that thread dies, the sends it had in hand
 * reject with a transient error (no SMTP code: the outbox tries them again after its backoff) and
 * the next send starts a new thread.
 */
export function createSmtpMailer(opts: {
  url: string;
  from: string;
  tlsRejectUnauthorized?: boolean;
  /** The thread's entry point; tests give one that dies on purpose. */
  entry?: URL;
}): Mailer {
  const thread = workerThread<SenderRequest, SenderAnswer>(opts.entry ?? new URL('./smtp-sender.worker.mjs', import.meta.url), {
    transport: { url: opts.url, pool: true, maxConnections: 3, tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true } },
  });
  // Loaded ahead, as nodemailer takes a while to: the first notification does not wait for it.
  thread.warm();
  const call = (request: SenderRequest) =>
    new Promise<SendResult>((resolve, reject) =>
      thread.request(request, {
        answer(a) {
          if (a.error) reject(Object.assign(new Error(a.error.message), { responseCode: a.error.responseCode, response: a.error.response }));
          else resolve({ response: a.response ?? '' });
          return true;
        },
        lost: (err) => reject(new Error(`SMTP sender thread stopped: ${err.message}`)),
      }),
    );
  return {
    send: (row) => call({ kind: 'send', message: message(row, opts.from) }),
    verify: async () => {
      await call({ kind: 'verify' });
    },
    close: () => void thread.close(),
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
