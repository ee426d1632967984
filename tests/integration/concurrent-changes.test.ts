// Two changes to one ticket at the same moment, on both engines: the second is decided on what the
// first left, so the audit chains (one change's "from" is the other's "to") and no update is lost.
// On PostgreSQL this is the row lock taken by changeTicket; on SQLite, IMMEDIATE transactions.
import { afterAll, describe, expect, it } from 'vitest';
import { changeFields, inTransaction, type StaffActor } from '../../src/tickets/staff-verbs.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';

const engines = await testEngines();
const staff = (id: string): StaffActor => ({ role: 'staff', id, staffId: null, name: id });

describe.each(engines)('concurrent changes on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('runs two changes of one ticket one after the other, whatever their timing', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      await g.intake.handle(Buffer.from(clientMail({ subject: 'Race', body: 'Two staff at once' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      const db = g.database.db;
      const verbs = { notices: g.notifier, language: 'en' as const };
      for (let round = 0; round < 5; round++) {
        const [a, b] = round % 2 ? (['major', 'critical'] as const) : (['blocking', 'minor'] as const);
        const results = await Promise.all([
          inTransaction(db, (trx) => changeFields(trx, verbs, staff('staff:a'), 1, { priority: a }, new Date())),
          inTransaction(db, (trx) => changeFields(trx, verbs, staff('staff:b'), 1, { priority: b }, new Date())),
        ]);
        expect(results.every((r) => r.ok)).toBe(true);
      }
      const events = await db.selectFrom('event').select(['from_value', 'to_value']).where('field', '=', 'priority').orderBy('id').execute();
      const final = await db.selectFrom('ticket').select('priority').executeTakeFirstOrThrow();
      // Each change starts from where the one before it ended, and the ticket holds the last one's value.
      for (let i = 1; i < events.length; i++) expect(events[i]!.from_value).toBe(events[i - 1]!.to_value);
      expect(events.at(-1)!.to_value).toBe(final.priority);
      // One notice per change that happened, none for a change that found nothing to do.
      const notices = await db.selectFrom('outbox').select('id').where('event', '=', 'priority-changed').execute();
      expect(notices).toHaveLength(events.length);
    } finally {
      await g.stop();
    }
  });
});
