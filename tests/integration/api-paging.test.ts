// The API's ticket list paged by keyset (GET /api/v1/tickets?after=N, the answer's `next`), on both
// engines through app.request: following `next` returns every ticket the caller sees exactly once,
// newest first — the whole list, a status, an agent's projects with the shared inbox — even while
// new tickets arrive; `page`/`per_page` answer as before; `total` counts every ticket of the list
// on each page, read from the kept total when the caller sees everything and counted otherwise; a
// cursor that does not parse, or one combined with a page, is a 422; openapi.json describes both.
import { afterAll, describe, expect, it } from 'vitest';
import { addProject, addStaff } from '../../src/accounts/directory.ts';
import { issueStaffToken } from '../../src/http/auth.ts';
import type { Status } from '../../src/db/schema.ts';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet } from '../support/guichet.ts';

const engines = await testEngines();

interface ListPage { page: number; per_page: number; total: number; next: number | null; tickets: Array<{ number: number; status: string }> }

describe.each(engines)('ticket list by keyset on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    const db = g.database.db;
    const now = new Date();
    await addStaff(db, { email: 'alice@help.example.test', name: 'Alice' }, now);
    await addProject(db, { key: 'ALPHA', name: 'Alpha', staff: ['alice@help.example.test'] }, now);
    await addProject(db, { key: 'BETA', name: 'Beta' }, now);
    const alice = (await db.selectFrom('staff').select('id').where('email', '=', 'alice@help.example.test').executeTakeFirstOrThrow()).id;
    const aliceToken = (await issueStaffToken(db, alice, 'script', now)).token;
    const get = async (path: string, token = API_TOKEN) => g.http.request(`/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    const open = async (i: number) => {
      const project = [undefined, 'ALPHA', 'BETA'][i % 3];
      const res = await g.http.request('/api/v1/tickets', {
        method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reporter: `client${i}@example.org`, summary: `Request ${i}`, description: 'Please help.', project }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { number: number }).number;
    };
    for (let i = 0; i < 31; i++) await open(i);
    // Statuses spread over the list, so a status's tickets are not one run of numbers.
    const statuses: Status[] = ['new', 'closed', 'feedback', 'closed', 'confirmed'];
    for (const t of await db.selectFrom('ticket').select(['id', 'number']).execute()) {
      await db.updateTable('ticket').set({ status: statuses[t.number % statuses.length]! }).where('id', '=', t.id).execute();
    }
    /** What the caller should see, newest first: every ticket, or those of these projects (null: no project), of this status. */
    const expected = async (opts: { projects?: Array<string | null>; status?: Status } = {}) => {
      const rows = await db.selectFrom('ticket').leftJoin('project', 'project.id', 'ticket.project_id').select(['ticket.number', 'ticket.status', 'project.key']).execute();
      return rows
        .filter((r) => (opts.projects ? opts.projects.includes(r.key) : true) && (opts.status ? r.status === opts.status : true))
        .map((r) => r.number)
        .sort((a, b) => b - a);
    };
    /** Follows `next` from the first page; every page checked on the way. */
    const walk = async (query: string, token?: string, between?: () => Promise<void>) => {
      const seen: number[] = [];
      const totals = new Set<number>();
      let next: number | null = null;
      let pages = 0;
      do {
        const res = await get(`/tickets?${query}${next === null ? '' : `&after=${next}`}`, token);
        expect(res.status).toBe(200);
        const body = (await res.json()) as ListPage;
        expect(body.tickets.length).toBeLessThanOrEqual(body.per_page);
        if (body.next !== null) expect(body.next).toBe(body.tickets.at(-1)!.number);
        seen.push(...body.tickets.map((t) => t.number));
        totals.add(body.total);
        next = body.next;
        pages++;
        if (pages === 1 && between) await between();
        expect(pages).toBeLessThan(100);
      } while (next !== null);
      return { seen, totals: [...totals], pages };
    };
    return { g, db, aliceToken, get, open, expected, walk };
  }

  it('returns every ticket exactly once through `after`, for everything, a status and an agent\'s projects, with the same total on each page', async () => {
    const { g, aliceToken, expected, walk } = await setup();
    try {
      const all = await expected();
      expect(all).toHaveLength(31);
      const whole = await walk('per_page=7');
      expect(whole.seen).toEqual(all);
      expect(whole.pages).toBe(5);
      expect(whole.totals).toEqual([31]);

      const closed = await expected({ status: 'closed' });
      expect(closed.length).toBeGreaterThan(7);
      const byStatus = await walk('per_page=4&status=closed');
      expect(byStatus.seen).toEqual(closed);
      expect(byStatus.totals).toEqual([closed.length]);

      // Alice, on ALPHA: ALPHA's tickets and the shared inbox's, never BETA's.
      const hers = await expected({ projects: ['ALPHA', null] });
      expect(hers.length).toBeGreaterThan(10);
      const scoped = await walk('per_page=5', aliceToken);
      expect(scoped.seen).toEqual(hers);
      expect(scoped.totals).toEqual([hers.length]);
      const hersNew = await expected({ projects: ['ALPHA', null], status: 'new' });
      const scopedNew = await walk('per_page=2&status=new', aliceToken);
      expect(scopedNew.seen).toEqual(hersNew);
      expect(scopedNew.totals).toEqual([hersNew.length]);

      // A page exactly full at the end: its `next` is null, not a cursor to an empty page.
      const exact = await walk('per_page=31');
      expect([exact.pages, exact.seen.length]).toEqual([1, 31]);
    } finally {
      await g.stop();
    }
  });

  it('keeps its place while new tickets arrive, where pages by offset would repeat a ticket', async () => {
    const { g, get, open, expected, walk } = await setup();
    try {
      const before = await expected();
      const byOffset = (await (await get('/tickets?per_page=10&page=2')).json()) as ListPage;
      // Three new tickets once the first page is read: the walk goes on below it, each old ticket once.
      const { seen } = await walk('per_page=10', undefined, async () => { for (let i = 100; i < 103; i++) await open(i); });
      expect(seen).toEqual(before);
      // The same second page by offset now starts three tickets earlier: those were on the first page.
      const shifted = (await (await get('/tickets?per_page=10&page=2')).json()) as ListPage;
      expect(shifted.tickets[3]!.number).toBe(byOffset.tickets[0]!.number);
      expect(shifted.total).toBe(34);
    } finally {
      await g.stop();
    }
  });

  it('answers page and per_page as before, with `next` too; refuses a bad cursor; counts every ticket from the kept total', async () => {
    const { g, db, aliceToken, get, expected } = await setup();
    try {
      const all = await expected();
      const page2 = (await (await get('/tickets?per_page=10&page=2')).json()) as ListPage;
      expect(page2).toMatchObject({ page: 2, per_page: 10, total: 31, next: all[19] });
      expect(page2.tickets.map((t) => t.number)).toEqual(all.slice(10, 20));
      const keyset2 = (await (await get(`/tickets?per_page=10&after=${all[9]}`)).json()) as ListPage;
      expect(keyset2).toEqual({ ...page2, page: 1 });
      const last = (await (await get('/tickets?per_page=10&page=4')).json()) as ListPage;
      expect([last.tickets.length, last.next]).toEqual([1, null]);
      expect((await (await get('/tickets?page=9')).json()) as ListPage).toMatchObject({ tickets: [], next: null, total: 31 });
      // A cursor above the newest ticket starts at the top; the oldest one leaves nothing below it.
      expect(((await (await get(`/tickets?per_page=3&after=${all[0]! + 1000}`)).json()) as ListPage).tickets.map((t) => t.number)).toEqual(all.slice(0, 3));
      expect((await (await get(`/tickets?after=${all.at(-1)}`)).json()) as ListPage).toMatchObject({ tickets: [], next: null });

      for (const bad of ['after=abc', 'after=0', 'after=-3', 'after=1.5', `page=2&after=${all[5]}`]) {
        const res = await get(`/tickets?${bad}`);
        expect(res.status, bad).toBe(422);
        expect(((await res.json()) as { error: string }).error).toMatch(bad.startsWith('page') ? /^page: page and after do not combine/ : /^after: /);
      }

      // Seeing every ticket, with no status: the total is the one the database keeps by trigger, not a count.
      await db.updateTable('tally').set({ value: 1000 }).where('name', '=', 'tickets').execute();
      expect(((await (await get('/tickets')).json()) as ListPage).total).toBe(1000);
      expect(((await (await get('/tickets?status=closed')).json()) as ListPage).total).toBe((await expected({ status: 'closed' })).length);
      expect(((await (await get('/tickets', aliceToken)).json()) as ListPage).total).toBe((await expected({ projects: ['ALPHA', null] })).length);
      await db.updateTable('tally').set({ value: 31 }).where('name', '=', 'tickets').execute();

      // Described in openapi.json from the same schemas.
      const doc = (await (await g.http.request('/api/v1/openapi.json')).json()) as any;
      const op = doc.paths['/tickets'].get;
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['page', 'per_page', 'status', 'after']));
      expect(op.parameters.find((p: { name: string }) => p.name === 'after').schema).toMatchObject({ type: 'integer', minimum: 1 });
      const shape = op.responses['200'].content['application/json'].schema;
      expect(Object.keys(shape.properties)).toEqual(['page', 'per_page', 'total', 'next', 'tickets']);
      expect(shape.required).toEqual(expect.arrayContaining(['total', 'next']));
    } finally {
      await g.stop();
    }
  });
});
