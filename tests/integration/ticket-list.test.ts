// The staff list's data layer on every engine: queues, filters, search, keyset pagination (ties on
// updated_at included), counts that match the lists, and "waiting since" kept by the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PRIORITIES, type Priority, type Status, type TicketType } from '../../src/db/schema.ts';
import { addEntry, addMailedReply, openTicket, type EntryInput } from '../../src/tickets/store.ts';
import {
  BadCursorError, PRIORITY_RANK_SQL, QUEUES, listTicketQueue, queueCounts, ticketQueueQuery, type ListSort, type Queue, type TicketListQuery, type TicketListRow,
} from '../../src/tickets/ticket-list.ts';
import { PRIORITY_RANK as MIGRATION_PRIORITY_RANK } from '../../migrations/0017_fast_search.ts';
import { CompiledQuery } from 'kysely';
import { testEngines } from '../support/databases.ts';

const engines = await testEngines();

const STATUSES: Status[] = ['new', 'feedback', 'confirmed', 'assigned', 'resolved', 'closed'];
const TYPES: TicketType[] = ['correction', 'evolution', 'assistance'];
const ME = 1;

function entry(text: string, kind: EntryInput['kind'] = 'email', staff = false): EntryInput {
  return {
    kind, authorContactId: null, authorStaffId: staff ? ME : null, authorEmail: null, text, fullText: text, html: null,
    messageId: null, inboundMessageId: null, attachments: [],
  };
}

interface Seeded {
  number: number;
  project_id: number | null;
  organisation_id: number | null;
  assignee_id: number | null;
  status: Status;
  priority: Priority;
  type: TicketType;
  awaiting: 'staff' | 'client' | null;
  updated_at: string;
}

async function walk(db: Db['db'], q: TicketListQuery): Promise<TicketListRow[]> {
  const rows: TicketListRow[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page = await listTicketQueue(db, { ...q, after });
    rows.push(...page.rows);
    if (!page.next) return rows;
    after = page.next;
  }
  throw new Error('the walk does not end');
}

const OPEN = (t: Seeded) => t.status !== 'resolved' && t.status !== 'closed';
const IN_QUEUE: Record<Queue, (t: Seeded) => boolean> = {
  mine: (t) => t.assignee_id === ME && OPEN(t),
  unassigned: (t) => t.assignee_id === null && OPEN(t),
  'awaiting-staff': (t) => t.awaiting === 'staff',
  'awaiting-client': (t) => t.awaiting === 'client',
  open: OPEN,
  all: () => true,
};

function expectedOrder(tickets: Seeded[], sort: ListSort, direction: 'asc' | 'desc'): number[] {
  const key = (t: Seeded): Array<string | number> =>
    sort === 'number' ? [t.number] : sort === 'priority' ? [PRIORITIES.indexOf(t.priority), t.updated_at, t.number] : [t.updated_at, t.number];
  const sorted = [...tickets].sort((a, b) => {
    const ka = key(a), kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
  return (direction === 'desc' ? sorted.reverse() : sorted).map((t) => t.number);
}

describe.each(engines)('ticket list on $name', (engine) => {
  let database: Db;
  let tickets: Seeded[] = [];

  beforeAll(async () => {
    database = openDatabase(await engine.freshUrl());
    const db = database.db;
    await migrateToLatest(db);
    const at = '2026-01-01T00:00:00.000Z';
    await db.insertInto('staff').values([1, 2].map((id) => ({ id, email: `s${id}@support.test`, name: `Staff ${id}`, password_hash: 'x', role: 'agent' as const, active: 1, created_at: at }))).execute();
    await db.insertInto('project').values([1, 2].map((id) => ({ id, key: `P${id}`, name: `Project ${id}`, default_type: 'assistance' as const, created_at: at }))).execute();
    await db.insertInto('organisation').values([1, 2].map((id) => ({ id, name: `Org ${id}`, requires_validation: 0, created_at: at }))).execute();
    await db.insertInto('contact').values([
      { id: 1, email: 'ada@one.test', name: 'Ada', organisation_id: 1, state: 'active', language: 'en', created_at: at },
      { id: 2, email: 'bob@two.test', name: 'Bob', organisation_id: 2, state: 'active', language: 'en', created_at: at },
      { id: 3, email: 'new@three.test', name: '', organisation_id: null, state: 'pending', language: null, created_at: at },
      { id: 4, email: 'new2@three.test', name: '', organisation_id: null, state: 'pending', language: null, created_at: at },
    ]).execute();
    await db.insertInto('inbound_message').values({ mailbox: 'INBOX', sha256: 'a'.repeat(64), raw_path: 'x', size: 1, state: 'quarantined', attempts: 1, received_at: at }).execute();
    await db.insertInto('inbound_message').values({ mailbox: 'INBOX', sha256: 'b'.repeat(64), raw_path: 'y', size: 1, state: 'processed', attempts: 1, received_at: at }).execute();

    const contacts = await db.selectFrom('contact').selectAll().where('id', 'in', [1, 2]).orderBy('id').execute();
    for (let i = 0; i < 40; i++) {
      const reporter = contacts[i % 2]!;
      const summary = i === 5 ? 'The aardvark page is blank' : i === 6 ? 'Invoice résumé missing' : `Request number ${i}`;
      const opened = await db.transaction().execute((trx) =>
        openTicket(trx, {
          reporter, summary, language: 'en', watchers: [], first: entry(i === 7 ? 'my printer jams' : 'hello'),
          fields: { projectId: i % 3 === 0 ? null : 1 + (i % 2), priority: PRIORITIES[i % 4], type: TYPES[i % 3] },
        }, new Date(Date.parse(at) + i * 1000)));
      const status = STATUSES[i % STATUSES.length]!;
      const awaiting = status === 'closed' ? null : status === 'feedback' || status === 'resolved' ? 'client' : 'staff';
      // Groups of five share one updated_at: the keyset must order them by number, no row twice or lost.
      const updated = new Date(Date.parse('2026-02-01T00:00:00.000Z') + Math.floor(i / 5) * 60_000).toISOString();
      await db.updateTable('ticket').set({
        status, awaiting, updated_at: updated,
        assignee_id: status === 'new' ? null : i % 3 === 0 ? null : 1 + (i % 2),
        resolution: status === 'closed' || status === 'resolved' ? 'fixed' : 'open',
      }).where('id', '=', opened.ticket.id).execute();
    }
    const ids = new Map((await db.selectFrom('ticket').select(['id', 'number']).execute()).map((t) => [Number(t.number), t.id]));
    await db.transaction().execute(async (trx) => {
      await addEntry(trx, ids.get(9)!, entry('Have you tried the zebrafish setting?', 'reply', true), new Date(at));
      await addEntry(trx, ids.get(10)!, entry('Internal: the narwhal cluster is down', 'note', true), new Date(at));
      await addEntry(trx, ids.get(11)!, entry('the printer is fine, the invoice is wrong', 'email'), new Date(at));
    });
    tickets = (await db.selectFrom('ticket').select(['number', 'project_id', 'organisation_id', 'assignee_id', 'status', 'priority', 'type', 'awaiting', 'updated_at']).execute())
      .map((t) => ({ ...t, number: Number(t.number) }));
  });

  afterAll(async () => {
    await database?.close();
    await engine.cleanup();
  });

  it.each(QUEUES)('the %s queue lists its tickets, newest activity first, and its count matches', async (queue) => {
    const rows = await walk(database.db, { queue, staffId: ME, limit: 7 });
    const expected = expectedOrder(tickets.filter(IN_QUEUE[queue]), 'activity', 'desc');
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.number)).toEqual(expected);
    const counts = await queueCounts(database.db, ME);
    expect(counts[queue]).toBe(expected.length);
  });

  it('counts pending contacts and quarantined mail', async () => {
    const counts = await queueCounts(database.db, ME);
    expect(counts.pendingContacts).toBe(2);
    expect(counts.quarantined).toBe(1);
    expect((await queueCounts(database.db, null)).mine).toBe(0);
  });

  it('applies each filter, alone and together', async () => {
    const cases: Array<[TicketListQuery['filters'], (t: Seeded) => boolean]> = [
      [{ projectId: 2 }, (t) => t.project_id === 2],
      [{ status: ['closed'] }, (t) => t.status === 'closed'],
      [{ status: ['new', 'feedback'] }, (t) => t.status === 'new' || t.status === 'feedback'],
      [{ priority: ['critical', 'blocking'] }, (t) => t.priority === 'critical' || t.priority === 'blocking'],
      [{ type: ['evolution'] }, (t) => t.type === 'evolution'],
      [{ assignee: 2 }, (t) => t.assignee_id === 2],
      [{ assignee: 'none' }, (t) => t.assignee_id === null],
      [{ organisationId: 1 }, (t) => t.organisation_id === 1],
      [{ awaiting: 'client' }, (t) => t.awaiting === 'client'],
      [{ awaiting: 'none' }, (t) => t.awaiting === null],
      [{ projectId: 1, status: ['assigned', 'confirmed'], awaiting: 'staff' }, (t) => t.project_id === 1 && (t.status === 'assigned' || t.status === 'confirmed') && t.awaiting === 'staff'],
    ];
    for (const [filters, keep] of cases) {
      const rows = await walk(database.db, { queue: 'all', staffId: ME, filters, limit: 4 });
      expect(rows.map((r) => r.number), JSON.stringify(filters)).toEqual(expectedOrder(tickets.filter(keep), 'activity', 'desc'));
    }
  });

  it('walks every sort, both ways, exactly once', async () => {
    for (const sort of ['activity', 'number', 'priority'] as const) {
      for (const direction of ['desc', 'asc'] as const) {
        for (const limit of [1, 3, 100]) {
          const rows = await walk(database.db, { queue: 'all', staffId: ME, sort, direction, limit });
          expect(rows.map((r) => r.number), `${sort} ${direction} ${limit}`).toEqual(expectedOrder(tickets, sort, direction));
        }
      }
    }
  });

  it('returns the columns the list shows', async () => {
    const [row] = (await listTicketQueue(database.db, { queue: 'all', staffId: ME, filters: { assignee: 2 }, limit: 1 })).rows;
    expect(row).toMatchObject({
      reporterEmail: expect.stringMatching(/@(one|two)\.test$/), reporterName: expect.any(String), organisationName: expect.stringMatching(/^Org /),
      assigneeName: 'Staff 2', updatedAt: expect.any(String),
    });
    expect(row!.projectKey === null || /^P\d$/.test(row!.projectKey)).toBe(true);
  });

  it('searches the summary and the whole thread, internal notes included, every word somewhere in the ticket', async () => {
    const found = async (search: string, q: Partial<TicketListQuery> = {}) =>
      (await walk(database.db, { queue: 'all', staffId: ME, search, ...q })).map((r) => r.number).sort((a, b) => a - b);
    expect(await found('aardvark')).toEqual([6]);
    expect(await found('Aardv')).toEqual([6]); // a prefix, any case
    expect(await found('zebrafish')).toEqual([9]); // a staff reply
    expect(await found('narwhal')).toEqual([10]); // an internal note: staff may search their notes
    expect(await found('printer')).toEqual([8, 11]); // a first mail and a later one
    expect(await found('invoice printer')).toEqual([11]); // both words in the same ticket
    expect(await found('printer jams')).toEqual([8]);
    expect(await found('aardvark zebrafish')).toEqual([]);
    expect(await found('nothing-like-this')).toEqual([]);
    expect(await found('"unbalanced AND (quotes*')).toEqual([]); // query syntax is only text
    expect(await found('   ')).toHaveLength(tickets.length); // no words: no search
    if (engine.name === 'sqlite') expect(await found('resume')).toEqual([7]); // accents folded
    expect(await found('résumé')).toEqual([7]);
    const summaryAndThread = tickets.find((t) => t.number === 11)!;
    expect(await found('invoice', { filters: { status: [summaryAndThread.status] } })).toEqual([11]);
  });

  it('finds the same tickets whether the matches or the list order lead the search', async () => {
    // listTicketQueue lets the list's order lead only for words in more than a thousand entries;
    // both plans are asked for here, on every sort and queue, and must agree.
    for (const search of ['printer', 'invoice printer', 'request', 'narwhal', 'nothing']) {
      for (const [queue, sort] of [['all', 'activity'], ['open', 'priority'], ['all', 'number']] as const) {
        const q: TicketListQuery = { queue, staffId: ME, search, sort, limit: 100 };
        const led = async (lead: 'matches' | 'order') => (await ticketQueueQuery(database.db, q, lead).execute()).map((r) => Number(r.number));
        const byMatches = await led('matches');
        expect(await led('order')).toEqual(byMatches);
        expect(byMatches).toEqual((await walk(database.db, q)).map((r) => r.number));
      }
    }
  });

  it('keeps the search in step with an edited summary', async () => {
    const db = database.db;
    const found = async (search: string) => (await walk(db, { queue: 'all', staffId: ME, search })).map((r) => r.number);
    const before = await db.selectFrom('ticket').select(['id', 'summary']).where('number', '=', 12).executeTakeFirstOrThrow();
    await db.updateTable('ticket').set({ summary: 'Okapi sighting report' }).where('id', '=', before.id).execute();
    expect(await found('okapi')).toEqual([12]);
    expect(await found('hello okapi')).toEqual([12]); // the thread's words are still there
    await db.updateTable('ticket').set({ summary: before.summary }).where('id', '=', before.id).execute();
    expect(await found('okapi')).toEqual([]);
  });

  it('sorts by priority from an index, not by sorting the queue', async () => {
    expect(PRIORITY_RANK_SQL).toBe(MIGRATION_PRIORITY_RANK);
    if (engine.name !== 'sqlite') return; // PostgreSQL's planner rightly prefers a sort on 40 rows
    for (const queue of ['open', 'all'] as const) {
      const c = ticketQueueQuery(database.db, { queue, staffId: ME, sort: 'priority' }).compile();
      const plan = (await database.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]))).rows.map((r) => r.detail).join('\n');
      expect(plan).toMatch(queue === 'open' ? /ticket_open_priority/ : /ticket_priority_activity/);
      expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    }
  });

  it('keeps "waiting since" as awaiting changes, whatever writes it', async () => {
    const db = database.db;
    const t = await db.selectFrom('ticket').selectAll().where('number', '=', 2).executeTakeFirstOrThrow(); // feedback, awaiting the client
    const since = async () => (await db.selectFrom('ticket').select('awaiting_since').where('id', '=', t.id).executeTakeFirstOrThrow()).awaiting_since;
    await db.updateTable('ticket').set({ awaiting: 'client', updated_at: '2026-03-01T00:00:00.000Z' }).where('id', '=', t.id).execute();
    const before = await since();
    expect(before).not.toBe('2026-03-01T00:00:00.000Z'); // unchanged side: still waiting since then
    await db.transaction().execute((trx) => addMailedReply(trx, { ...t, awaiting: 'client' }, entry('here you go'), new Date('2026-03-02T00:00:00.000Z')));
    expect(await since()).toBe('2026-03-02T00:00:00.000Z');
    await db.updateTable('ticket').set({ awaiting: null, status: 'closed', updated_at: '2026-03-03T00:00:00.000Z' }).where('id', '=', t.id).execute();
    expect(await since()).toBeNull();
    const [row] = (await listTicketQueue(db, { queue: 'all', staffId: ME, limit: 1 })).rows;
    expect(row!.number).toBe(2);
    expect(row!.waitingSince).toBeNull();
    // Restore what the other tests expect of ticket 2.
    await db.updateTable('ticket').set({ awaiting: t.awaiting, status: t.status, updated_at: t.updated_at }).where('id', '=', t.id).execute();
  });

  it('refuses a cursor from another sort, or none at all', async () => {
    const first = await listTicketQueue(database.db, { queue: 'all', staffId: ME, limit: 2 });
    await expect(listTicketQueue(database.db, { queue: 'all', staffId: ME, sort: 'number', after: first.next })).rejects.toThrow(BadCursorError);
    await expect(listTicketQueue(database.db, { queue: 'all', staffId: ME, after: 'garbage' })).rejects.toThrow(BadCursorError);
    await expect(listTicketQueue(database.db, { queue: 'all', staffId: ME, after: Buffer.from('["activity","desc","x","y"]').toString('base64url') })).rejects.toThrow(BadCursorError);
  });

  it('keeps the total of tickets as tickets come and go', async () => {
    const db = database.db;
    expect((await queueCounts(db, ME)).all).toBe(tickets.length);
    const reporter = await db.selectFrom('contact').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    const { ticket } = await db.transaction().execute((trx) => openTicket(trx, { reporter, summary: 'temporary', language: 'en', watchers: [], first: entry('x') }, new Date()));
    expect((await queueCounts(db, ME)).all).toBe(tickets.length + 1);
    await db.deleteFrom('ticket').where('id', '=', ticket.id).execute();
    expect((await queueCounts(db, ME)).all).toBe(tickets.length);
    expect(await walk(db, { queue: 'all', staffId: ME, search: 'temporary' })).toEqual([]);
  });
});
