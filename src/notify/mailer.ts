// The sending edge: nodemailer over pooled SMTP, or, for the demo and for tests that only need the
// bytes, a capture folder where each outbound message lands as an .eml file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxRow } from '../db/schema.ts';
import { domainOf } from '../protocol/addresses.ts';
import { LOOP_HEADER, loopHeaderValue } from '../protocol/loop-header.ts';
import { workerThread } from '../worker-thread.ts';

export interface SendResult {
  response: string;
}

export interface Mailer {
  send(row: OutboxRow): Promise<SendResult>;
  verify(): Promise<void>;
  close(): void;
}

/**
 * What a failed send says, and so what the outbox does with it:
 * - `relay`: the relay itself does not work (cannot connect, DNS, TLS, greeting/EHLO/STARTTLS,
 *   authentication refused, 421 "closing"). Every message would fail the same way: the outbox pauses
 *   and probes the relay, and the message goes back to pending without an attempt counted.
 * - `recipient`: a permanent refusal (5xx) answered to RCPT TO or DATA for this message: it fails at
 *   once and its recipient is marked bouncing.
 * - `transient`: anything else (a 4xx, a 5xx to MAIL FROM, a dead sender thread, an unknown error):
 *   retried with backoff until the retry window closes.
 */
export type FailureKind = 'relay' | 'recipient' | 'transient';

/** nodemailer's codes for a relay that cannot be reached, spoken to securely, or logged into. */
const RELAY_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EAUTH', 'ENOAUTH', 'EOAUTH2', 'EPROXY']);
/** The session steps before any message: a refusal there is the relay's, not the message's. */
const SESSION_COMMANDS = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH\b)/;

export function classifyFailure(err: unknown): FailureKind {
  const e = (err ?? {}) as { code?: string; responseCode?: number; command?: string };
  const command = typeof e.command === 'string' ? e.command.toUpperCase() : '';
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (code !== null && code >= 500 && code < 600 && (command === 'RCPT TO' || command === 'DATA')) return 'recipient';
  if (typeof e.code === 'string' && RELAY_CODES.has(e.code)) return 'relay';
  if (SESSION_COMMANDS.test(command)) return 'relay';
  if (code === 421 || code === 530 || code === 534 || code === 535 || code === 454) return 'relay';
  return 'transient';
}

/** A refusal the server will repeat for this recipient (5xx to RCPT TO or DATA): the row fails at once. */
export function isPermanentFailure(err: unknown): boolean {
  return classifyFailure(err) === 'recipient';
}

/** The support domain, from the From the mailer is given (`Name <support@domain>` or a bare address). */
function installationOf(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return loopHeaderValue(domainOf(address.trim()));
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
      // Names this installation, so our mail coming back is known as ours even with a new Message-ID.
      [LOOP_HEADER]: installationOf(from),
    },
  };
}

type SenderRequest = { kind: 'send'; message: ReturnType<typeof message> } | { kind: 'verify' };
type SenderAnswer = {
  response?: string;
  error?: { message: string; responseCode?: number; response?: string; code?: string; command?: string };
};

/**
 * Sends on a worker thread (smtp-sender.worker.mjs). A failure keeps nodemailer's `code`,
 * `command`, `responseCode` and `response`, which `classifyFailure` reads. When that thread dies, the
 * sends it had in hand reject with a transient error (no SMTP code: the outbox tries them again after
 * its backoff) and the next send starts a new thread.
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
          if (a.error) {
            const { message: text, ...fields } = a.error;
            reject(Object.assign(new Error(text), fields));
          }
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
