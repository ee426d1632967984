// Builds a real Guichet process for a test: the engine's fresh database, a temp data folder, the
// test's Dovecot mailbox and SMTP sink. No port is opened for HTTP; tests call `http.request()`.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGuichet, type Guichet } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import type { DnsResolver } from '../../src/mail/dkim.ts';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const SUPPORT = 'support@help.example.test';

export async function buildGuichet(opts: {
  databaseUrl: string;
  imapUrl?: string;
  smtpUrl?: string;
  dataDir?: string;
  overrides?: Record<string, unknown>;
  dnsResolver?: DnsResolver;
  /** Built as the no-config demo is (the admin's "write as a client" form). */
  demo?: boolean;
}): Promise<Guichet> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'guichet-data-'));
  const config = parseConfig({
    database: { url: opts.databaseUrl },
    dataDir,
    support: { address: SUPPORT, name: 'Example Support' },
    admin: { listen: '127.0.0.1:0', apiToken: API_TOKEN },
    // A schedule that never fires: the tests prove that IDLE, not a poll, brings new mail.
    imap: opts.imapUrl ? { url: opts.imapUrl, pollCron: '0 0 1 1 *' } : null,
    smtp: opts.smtpUrl ? { url: opts.smtpUrl } : null,
    outbox: opts.smtpUrl ? { backoffSeconds: 1 } : { captureDir: path.join(dataDir, 'sent') },
    // The intake suites are about mail flow; the account suites turn validation back on.
    intake: { unknownSenders: 'accept' },
    ...opts.overrides,
  }, { demo: opts.demo });
  return createGuichet(config, { log: () => {}, dnsResolver: opts.dnsResolver });
}

export async function getTicket(g: Guichet, number: number): Promise<any> {
  const res = await g.http.request(`/api/v1/tickets/${number}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET ticket ${number}: ${res.status} ${await res.text()}`);
  return res.json();
}

let seq = 0;

/**
 * A delivery status notification (RFC 3464) returning the message `returned`: a failure (5.1.1) by
 * default, a delay with a 4.x.x status.
 */
export function deliveryReport(returned: string, opts: { recipient?: string; status?: string } = {}): string {
  const { recipient = 'ada@example.com', status = '5.1.1' } = opts;
  const delayed = status.startsWith('4.');
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
    `To: ${SUPPORT}`,
    `Subject: ${delayed ? 'Delivery delayed' : 'Undelivered Mail Returned to Sender'}`,
    `Message-ID: <dsn-${status}-${++seq}-${Date.now()}@mx.example.com>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'This is the mail system. Your message could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${delayed ? 'delayed' : 'failed'}`,
    `Status: ${status}`,
    '--b1',
    'Content-Type: text/rfc822-headers',
    '',
    `From: ${SUPPORT}`,
    `Message-ID: ${returned}`,
    '--b1--',
    '',
  ].join('\r\n');
}

/** A plain RFC 5322 message from a client. */
export function clientMail(opts: {
  from?: string;
  to?: string;
  cc?: string;
  subject: string;
  body: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  headers?: Record<string, string>;
}): { raw: string; messageId: string } {
  const messageId = opts.messageId ?? `<client-${Date.now()}-${++seq}@example.com>`;
  const lines = [
    `From: ${opts.from ?? 'Ada Lovelace <ada@example.com>'}`,
    `To: ${opts.to ?? SUPPORT}`,
    ...(opts.cc ? [`Cc: ${opts.cc}`] : []),
    `Subject: ${opts.subject}`,
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    ...(opts.inReplyTo ? [`In-Reply-To: ${opts.inReplyTo}`] : []),
    ...(opts.references ? [`References: ${opts.references}`] : []),
    ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    opts.body,
    '',
  ];
  return { raw: lines.join('\r\n'), messageId };
}
