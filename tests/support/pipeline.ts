// One Guichet on its own Dovecot mailbox and fresh database, sending to the shared SMTP sink: the
// real pipeline, mail in through IMAP IDLE and out through SMTP.
import type { Guichet } from '../../src/app.ts';
import type { InboundMessage } from '../../src/db/schema.ts';
import type { DnsResolver } from '../../src/mail/dkim.ts';
import type { TestEngine } from './databases.ts';
import type { Dovecot } from './dovecot.ts';
import { buildGuichet } from './guichet.ts';
import type { SmtpSink } from './smtp-sink.ts';
import { waitUntil } from './wait.ts';

let boxes = 0;

export interface Pipeline {
  g: Guichet;
  box: string;
  databaseUrl: string;
  deliver(raw: string): Promise<void>;
  /** Waits until `n` inbound messages left the pending state; returns every row, oldest first. */
  processed(n: number): Promise<InboundMessage[]>;
  /** Waits until the outbox is drained and returns what the sink captured since the last call. */
  sent(count: number): Promise<SmtpSink['messages']>;
  stop(): Promise<void>;
}

export async function startPipeline(
  engine: TestEngine,
  dovecot: Dovecot,
  sink: SmtpSink,
  overrides: Record<string, unknown> = {},
  dnsResolver?: DnsResolver,
): Promise<Pipeline> {
  const box = `P${process.pid}x${++boxes}`;
  // Create the mailbox empty so the poller opens it at once.
  const c = await dovecot.connect();
  await c.mailboxCreate(box).catch(() => {});
  await c.logout();
  const databaseUrl = await engine.freshUrl();
  const g = await buildGuichet({ databaseUrl, imapUrl: dovecot.url.replace(/INBOX$/, box), smtpUrl: sink.url, overrides, dnsResolver });
  await g.start({ listen: false });
  let seen = sink.messages.length;
  return {
    g, box, databaseUrl,
    async deliver(raw) {
      await dovecot.append(raw, box);
    },
    processed: (n) =>
      waitUntil(async () => {
        const rows = await g.database.db.selectFrom('inbound_message').selectAll().orderBy('id').execute();
        return rows.filter((r) => r.state !== 'pending').length >= n && rows;
      }, `${n} processed messages`),
    async sent(count) {
      await sink.waitFor(seen + count).catch((err: Error) => {
        const extra = sink.messages.slice(seen).map((m) => `${m.envelope.to.join(',')} ${m.parsed.subject}`);
        throw new Error(`${err.message}; since the last check: ${extra.join(' | ') || 'nothing'}`);
      });
      await g.outbox.idle();
      const fresh = sink.messages.slice(seen);
      seen = sink.messages.length;
      return fresh;
    },
    stop: () => g.stop(),
  };
}
