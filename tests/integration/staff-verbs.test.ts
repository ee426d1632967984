// The staff verbs of tickets/ called directly, as the admin pages and staff mail will call them, on
// both engines: a refusal anywhere in a change rolls all of it back; the evaluation is recorded and
// mails nothing; an internal note never leaves while a public reply does; unknown tickets are named.
import { afterAll, describe, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import {
  changeFields, inTransaction, replyToTicket, setEvaluation, type StaffActor, type StaffVerbDeps,
} from '../../src/tickets/staff-verbs.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';

const engines = await testEngines();
const agent: StaffActor = { role: 'staff', id: 'staff:1', staffId: 1, name: 'Agnès' };

async function withTicket(url: string): Promise<{ g: Guichet; verbs: StaffVerbDeps }> {
  const g = await buildGuichet({ databaseUrl: url });
  await g.database.db.insertInto('staff').values({
    email: 'agnes@help.example.test', name: 'Agnès', password_hash: 'x', role: 'agent', active: 1, created_at: new Date().toISOString(),
  }).execute();
  await g.intake.handle(Buffer.from(clientMail({ subject: 'The export is empty', body: 'Since Monday.' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
  return { g, verbs: { notices: g.notifier, language: 'en' } };
}

const outbox = (g: Guichet) => g.database.db.selectFrom('outbox').select(['event', 'recipient']).orderBy('id').execute();
const events = (g: Guichet) => g.database.db.selectFrom('event').select(['kind', 'field', 'from_value', 'to_value', 'actor']).orderBy('id').execute();

describe.each(engines)('staff verbs on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('refuses a change whole: the steps before the refused one are rolled back, nothing is mailed', async () => {
    const { g, verbs } = await withTicket(await engine.freshUrl());
    try {
      const before = { ticket: await g.database.db.selectFrom('ticket').selectAll().executeTakeFirstOrThrow(), events: await events(g), outbox: await outbox(g) };
      const result = await inTransaction(g.database.db, (trx) =>
        changeFields(trx, verbs, agent, 1, { priority: 'blocking', urgency: 'high', status: 'closed' }, new Date()));
      expect(result).toEqual({ ok: false, code: 'refused', reason: expect.stringMatching(/only a resolved ticket is closed by its status/) });
      expect(await g.database.db.selectFrom('ticket').selectAll().executeTakeFirstOrThrow()).toEqual(before.ticket);
      expect(await events(g)).toEqual(before.events);
      expect(await outbox(g)).toEqual(before.outbox);

      const done = await inTransaction(g.database.db, (trx) => changeFields(trx, verbs, agent, 1, { priority: 'blocking', assignee: 'agnes@help.example.test' }, new Date()));
      expect(done).toMatchObject({ ok: true, ticket: { priority: 'blocking', status: 'assigned', assignee_id: 1 } });
      expect((await outbox(g)).map((o) => o.event)).toEqual(['ticket-received', 'staff-alert', 'priority-changed', 'ticket-assigned']);
    } finally {
      await g.stop();
    }
  });

  it('names what it cannot find or cannot use', async () => {
    const { g, verbs } = await withTicket(await engine.freshUrl());
    try {
      const now = new Date();
      expect(await inTransaction(g.database.db, (trx) => changeFields(trx, verbs, agent, 99, { priority: 'major' }, now)))
        .toEqual({ ok: false, code: 'not_found', reason: 'no ticket #99' });
      expect(await inTransaction(g.database.db, (trx) => changeFields(trx, verbs, agent, 1, {}, now)))
        .toEqual({ ok: false, code: 'invalid', reason: 'nothing to change' });
      expect(await inTransaction(g.database.db, (trx) => changeFields(trx, verbs, agent, 1, { assignee: 'nobody@help.example.test' }, now)))
        .toEqual({ ok: false, code: 'invalid', reason: 'no staff member nobody@help.example.test' });
      expect(await inTransaction(g.database.db, (trx) => changeFields(trx, verbs, agent, 1, { duplicateOf: 42 }, now)))
        .toEqual({ ok: false, code: 'refused', reason: 'there is no ticket #42 to follow' });
    } finally {
      await g.stop();
    }
  });

  it('records the evaluation field by field and mails nothing', async () => {
    const { g } = await withTicket(await engine.freshUrl());
    try {
      const sent = await outbox(g);
      const result = await inTransaction(g.database.db, (trx) => setEvaluation(trx, agent, 1, { urgency: 'high', impact: 'all users' }, new Date()));
      expect(result).toMatchObject({ ok: true, changed: true, ticket: { urgency: 'high', impact: 'all users', cost_estimate: null } });
      const again = await inTransaction(g.database.db, (trx) => setEvaluation(trx, agent, 1, { urgency: 'high' }, new Date()));
      expect(again).toMatchObject({ ok: true, changed: false });
      expect((await events(g)).filter((e) => e.kind === 'changed')).toEqual([
        { kind: 'changed', field: 'urgency', from_value: null, to_value: 'high', actor: 'staff:1' },
        { kind: 'changed', field: 'impact', from_value: null, to_value: 'all users', actor: 'staff:1' },
      ]);
      expect(await outbox(g)).toEqual(sent);
    } finally {
      await g.stop();
    }
  });

  it('keeps an internal note in, mails a public reply and stops waiting on staff', async () => {
    const { g, verbs } = await withTicket(await engine.freshUrl());
    try {
      const sent = (await outbox(g)).length;
      const note = await inTransaction(g.database.db, (trx) => replyToTicket(trx, verbs, agent, { number: 1, message: 'Looks like the cron.', internal: true }, new Date()));
      expect(note).toMatchObject({ ok: true, entry: { kind: 'note' } });
      expect((await outbox(g)).length).toBe(sent);
      const reply = await inTransaction(g.database.db, (trx) => replyToTicket(trx, verbs, agent, { number: 1, message: 'Fixed tonight.', internal: false }, new Date()));
      expect(reply).toMatchObject({ ok: true, entry: { kind: 'reply' } });
      expect((await outbox(g)).slice(sent)).toEqual([{ event: 'staff-reply', recipient: 'ada@example.com' }]);
      expect(await g.database.db.selectFrom('ticket').select('awaiting').executeTakeFirstOrThrow()).toEqual({ awaiting: null });
    } finally {
      await g.stop();
    }
  });
});
