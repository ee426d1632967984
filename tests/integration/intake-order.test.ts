// The intake applies batches in the order they were handed over, even when the next one is handed
// over before the previous one is done (the IMAP poller does that, to parse ahead), and a batch
// queued behind one that fails is not applied either: mail is never applied out of order.
import { afterAll, describe, expect, it } from 'vitest';
import type { IntakeItem } from '../../src/mail/intake.ts';
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
});
