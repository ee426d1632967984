// The intake applies batches in the order they were handed over, even when the next one is handed
// over before the previous one is done (the IMAP poller does that, to parse ahead), and a batch
// queued behind one that fails is not applied either: mail is never applied out of order.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIntake, type IntakeItem } from '../../src/mail/intake.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';

const engines = await testEngines();

describe.each(engines)('intake order on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('applies a reply handed over with its first mail after it, and nothing queued behind a failure', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      const first = clientMail({ subject: 'The export is empty', body: 'Since Monday.' });
      const reply = clientMail({ subject: 'More details', body: 'Only the CSV one.', inReplyTo: first.messageId });
      const item = (raw: string, uid: number): IntakeItem => ({ raw: Buffer.from(raw), source: { mailbox: 'INBOX', uidValidity: 1, uid } });
      // A row the database refuses (no mailbox): storing the batch fails, as a full disk would.
      const broken: IntakeItem = { raw: Buffer.from(first.raw), source: { mailbox: null as unknown as string, uidValidity: null, uid: null } };

      const failing = g.intake.handleBatch([broken]);
      const behind = g.intake.handleBatch([item(reply.raw, 2)]);
      await expect(failing).rejects.toThrow();
      await expect(behind).rejects.toThrow(/not applied: an earlier batch failed/);
      expect(await g.database.db.selectFrom('inbound_message').select('id').execute()).toEqual([]);
      expect(await g.database.db.selectFrom('ticket').select('id').execute()).toEqual([]);

      // Handed over again, the reply right behind its first mail: it lands on the ticket the first opened.
      const opened = g.intake.handleBatch([item(first.raw, 1)]);
      const answered = g.intake.handleBatch([item(reply.raw, 2)]);
      expect((await opened).map((r) => [r.outcome, r.ticketNumber])).toEqual([['ticket', 1]]);
      expect((await answered).map((r) => [r.outcome, r.ticketNumber])).toEqual([['comment', 1]]);
    } finally {
      await g.stop();
    }
  });

  it('holds no write transaction while a message is still being prepared, and fails one over its time budget alone', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    const intake = createIntake({
      db: g.database.db,
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'guichet-hang-')),
      notices: g.notifier,
      settings: {
        domain: 'help.example.test', supportAddresses: ['support@help.example.test'], tagPrefix: '', defaultLanguage: 'en',
        unknownSenders: 'accept', watchers: 'organisation', maxWatchers: 10, replyToClosed: 'new_ticket',
        clients: 'participant', maxNewTicketsPerDay: 20, trustedAuthservIds: [], replySecret: 'a test key for reply tokens, 32+ chars',
      },
      limits: { maxMessageBytes: 1 << 20, maxAttachmentBytes: 1 << 20, parseSeconds: 3 },
      prepareEntry: new URL('../support/hanging-prepare.worker.mjs', import.meta.url),
    });
    try {
      const mail = (subject: string, headers: Record<string, string> = {}): IntakeItem =>
        ({ raw: Buffer.from(clientMail({ subject, body: 'x', headers }).raw), source: { mailbox: 'smtp', uidValidity: null, uid: null } });
      let batchDone = false;
      const batch = intake.handleBatch([mail('Before'), mail('Stuck', { 'X-Test': 'hang here' }), mail('After')]).finally(() => (batchDone = true));
      // While the stuck message is being prepared, the first one is applied and committed, and
      // another writer gets the database: no transaction is held open over the wait.
      await expect.poll(() => g.database.db.selectFrom('ticket').select('summary').execute(), { timeout: 10_000 }).toEqual([{ summary: 'Before' }]);
      await g.database.db.transaction().execute((trx) => trx.insertInto('contact').values({ email: 'writer@example.com', name: '', state: 'active', created_at: new Date().toISOString() }).execute());
      expect(batchDone).toBe(false);

      const results = await batch;
      expect(results.map((r) => [r.state, r.outcome])).toEqual([
        ['processed', 'ticket'],
        ['failed', expect.stringMatching(/took longer than 3 s \(limits\.parseSeconds\)/)],
        ['processed', 'ticket'],
      ]);
    } finally {
      await intake.close();
      await g.stop();
    }
  });
});
