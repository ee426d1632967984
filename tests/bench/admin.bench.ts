// The staff list and ticket page on a large helpdesk, on both engines in one run:
//   1. generates a deterministic history (BENCH_TICKETS tickets, 100,000 by default, with about ten
//      entries each, attachments, watchers, audit events; 90 % closed as on a long-lived helpdesk)
//      into a fresh SQLite file (opened and migrated as the app does: WAL, migrateToLatest) and into
//      a fresh PostgreSQL database (created and dropped here). Loaded in bulk (one transaction of
//      prepared statements on SQLite, unnest() batches on PostgreSQL), the triggers of migration
//      0012 and 0017 keeping the totals as the app's writes would; the search indexes are set
//      aside for the load and filled once at its end, with the rows the app's writes would have put;
//   2. measures p50/p95 of each view of src/tickets/ticket-list.ts and of the ticket detail
//      (src/tickets/queries.ts) under 1 client, then under 8 concurrent clients. better-sqlite3
//      runs every query on the one thread: 8 "concurrent" SQLite clients are served one after the
//      other, and their latency includes that wait, which is what a page load would see;
//   3. checks that a page's time does not grow with its depth (pages 1 … ~2,000 of `all`).
//   npm run bench:admin                         BENCH_TICKETS=20000 npm run bench:admin (quick)
// Optional: BENCH_ENGINES=sqlite|postgres, BENCH_ENTRIES (per ticket, 10), BENCH_SEED, BENCH_DIR
// (SQLite file's folder, default the system's temp), BENCH_PG_URL (admin URL, default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_ROUNDS (samples per view, 200), BENCH_PLANS=1
// (print each view's query plan), BENCH_KEEP=1 (keep the databases, for a look at them afterwards). Exit 0 whatever the figures; 1 only when the run broke.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, type Kysely } from 'kysely';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/schema.ts';
import { listTicketQueue, queueCounts, searchLead, searchWords, ticketQueueQuery, type TicketListQuery } from '../../src/tickets/ticket-list.ts';
import { ticketDetail } from '../../src/tickets/queries.ts';
import { prng } from './fixtures.ts';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10);
const SEED = Number(process.env.BENCH_SEED ?? 20261129);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',');
const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PLANS = process.env.BENCH_PLANS === '1';
const PAGE = 50;

const STAFF = 30;
const PROJECTS = 20;
const ORGANISATIONS = 500;
const CONTACTS = 20_000;

// ---------------------------------------------------------------- the history

/** A Zipf vocabulary of made-up words, with real ones at known ranks for the searches. */
function vocabulary(rand: () => number): { words: string[]; cumulative: Float64Array } {
  const syllables = ['ba', 'ko', 'ri', 'tu', 'me', 'sa', 'lo', 'ne', 'vi', 'da', 'po', 'gu', 'fe', 'zi', 'ha', 'mo', 'ra', 'le', 'ti', 'nu'];
  const words: string[] = [];
  const seen = new Set<string>();
  while (words.length < 5000) {
    let w = '';
    const n = 2 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) w += syllables[Math.floor(rand() * syllables.length)];
    if (!seen.has(w)) { seen.add(w); words.push(w); }
  }
  for (const [word, rank] of Object.entries(SEARCH_RANKS)) words[rank] = word;
  const cumulative = new Float64Array(words.length);
  let sum = 0;
  for (let i = 0; i < words.length; i++) cumulative[i] = sum += 1 / (i + 1);
  for (let i = 0; i < words.length; i++) cumulative[i]! /= sum;
  return { words, cumulative };
}

/** invoice: about 1 % of entries; printer: 0.15 %; timeout: 0.05 %. */
const SEARCH_RANKS: Record<string, number> = { invoice: 300, printer: 1800, timeout: 4500 };

const STATUS_SHARE: Array<[string, number]> = [['closed', 0.9], ['resolved', 0.03], ['new', 0.02], ['feedback', 0.015], ['confirmed', 0.015], ['assigned', 0.02]];
const PRIORITY_SHARE: Array<[string, number]> = [['minor', 0.55], ['major', 0.35], ['blocking', 0.07], ['critical', 0.03]];
const TYPES = ['correction', 'evolution', 'assistance', 'maintenance'];

function pick<T>(rand: () => number, shares: Array<[T, number]>): T {
  let r = rand();
  for (const [v, s] of shares) if ((r -= s) < 0) return v;
  return shares[shares.length - 1]![0];
}

interface Batch {
  tickets: Array<Record<string, unknown>>;
  entries: Array<Record<string, unknown>>;
  attachments: Array<Record<string, unknown>>;
  watchers: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
}

const START = Date.parse('2021-01-01T00:00:00Z');
const SPAN = Date.parse('2026-11-01T00:00:00Z') - START;
/** Second resolution, as mail dates are: many tickets share an updated_at, which the keyset must handle. */
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** The history in batches of tickets with their rows; deterministic for a seed. */
function* history(batchSize = 2000): Generator<Batch> {
  const rand = prng(SEED);
  const { words, cumulative } = vocabulary(rand);
  const word = () => {
    const r = rand();
    let lo = 0, hi = cumulative.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! < r) lo = mid + 1; else hi = mid; }
    return words[lo]!;
  };
  const text = (min: number, max: number) => {
    const n = min + Math.floor(rand() * (max - min));
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(word());
    return out.join(' ');
  };
  let entryId = 0, attachmentId = 0, eventId = 0;
  for (let from = 0; from < TICKETS; from += batchSize) {
    const b: Batch = { tickets: [], entries: [], attachments: [], watchers: [], events: [] };
    for (let i = from; i < Math.min(TICKETS, from + batchSize); i++) {
      const id = i + 1;
      const created = START + (SPAN * i) / TICKETS;
      const status = pick(rand, STATUS_SHARE);
      const open = status !== 'closed' && status !== 'resolved';
      // Open tickets are recent; closed ones had their last word weeks after they opened.
      const updated = Math.min(START + SPAN, open ? created + rand() * 3 * 86400_000 : created + rand() * 40 * 86400_000);
      const awaiting = status === 'closed' ? null : status === 'feedback' || status === 'resolved' ? 'client' : 'staff';
      const reporter = 1 + Math.floor(rand() * CONTACTS);
      const assignee = status === 'new' || (status !== 'assigned' && rand() < 0.3) ? null : 1 + Math.floor(rand() * STAFF);
      b.tickets.push({
        id, number: id, project_id: 1 + Math.floor(rand() * PROJECTS), type: TYPES[Math.floor(rand() * 3)],
        priority: pick(rand, PRIORITY_SHARE), status, resolution: status === 'closed' || status === 'resolved' ? 'fixed' : 'open',
        summary: text(4, 9), reporter_id: reporter, organisation_id: 1 + (reporter % ORGANISATIONS), assignee_id: assignee,
        visibility: rand() < 0.1 ? 'private' : 'public', awaiting, awaiting_since: awaiting ? iso(updated - rand() * 86400_000) : null,
        language: rand() < 0.3 ? 'fr' : 'en', created_at: iso(created), updated_at: iso(updated),
        resolved_at: status === 'closed' || status === 'resolved' ? iso(updated) : null, closed_at: status === 'closed' ? iso(updated) : null,
      });
      const count = 1 + Math.floor(rand() * (2 * ENTRIES - 1));
      for (let k = 0; k < count; k++) {
        const eid = ++entryId;
        const kind = k === 0 ? 'email' : (['email', 'reply', 'reply', 'note'] as const)[Math.floor(rand() * 4)]!;
        const staff = kind === 'reply' || kind === 'note';
        b.entries.push({
          id: eid, ticket_id: id, kind, author_contact_id: staff ? null : reporter, author_staff_id: staff ? 1 + Math.floor(rand() * STAFF) : null,
          author_email: staff ? null : `client${reporter}@example.com`, text: text(10, 50), full_text: null, html: null,
          message_id: kind === 'email' ? `<${eid}.bench@example.com>` : null, created_at: iso(created + ((updated - created) * k) / count),
        });
        if (rand() < 0.1) {
          for (let a = 0, n = 1 + Math.floor(rand() * 2); a < n; a++) {
            b.attachments.push({ id: ++attachmentId, entry_id: eid, filename: `file${attachmentId}.pdf`, content_type: 'application/pdf', size: 1000 + Math.floor(rand() * 200_000), sha256: attachmentId.toString(16).padStart(64, '0'), content_id: null, inline: 0 });
          }
        }
      }
      if (rand() < 0.3) {
        for (let w = 0, n = 1 + Math.floor(rand() * 3); w < n; w++) b.watchers.push({ ticket_id: id, email: `watcher${id}-${w}@example.com` });
      }
      b.events.push({ id: ++eventId, ticket_id: id, actor: `contact:${reporter}`, kind: 'created', field: null, from_value: null, to_value: String(id), created_at: iso(created) });
      if (status !== 'new') b.events.push({ id: ++eventId, ticket_id: id, actor: 'staff:1', kind: 'changed', field: 'status', from_value: 'new', to_value: status, created_at: iso(updated) });
      if (awaiting) b.events.push({ id: ++eventId, ticket_id: id, actor: 'staff:1', kind: 'changed', field: 'awaiting', from_value: null, to_value: awaiting, created_at: iso(updated) });
    }
    yield b;
  }
}

function referenceRows(): Record<string, Array<Record<string, unknown>>> {
  const at = '2021-01-01T00:00:00.000Z';
  return {
    staff: Array.from({ length: STAFF }, (_, i) => ({ id: i + 1, email: `staff${i + 1}@support.example`, name: `Staff ${i + 1}`, password_hash: 'x', role: i === 0 ? 'admin' : 'agent', active: 1, created_at: at })),
    project: Array.from({ length: PROJECTS }, (_, i) => ({ id: i + 1, key: `P${i + 1}`, name: `Project ${i + 1}`, default_type: 'assistance', created_at: at })),
    organisation: Array.from({ length: ORGANISATIONS }, (_, i) => ({ id: i + 1, name: `Organisation ${i + 1}`, requires_validation: 0, created_at: at })),
    contact: Array.from({ length: CONTACTS }, (_, i) => ({ id: i + 1, email: `client${i + 1}@example.com`, name: `Client ${i + 1}`, organisation_id: 1 + ((i + 1) % ORGANISATIONS), state: i % 100 === 0 ? 'pending' : 'active', language: 'en', created_at: at })),
    inbound_message: Array.from({ length: 2000 }, (_, i) => ({ id: i + 1, mailbox: 'INBOX', uid_validity: 1, uid: i + 1, message_id: null, sha256: i.toString(16).padStart(64, '0'), raw_path: `raw/${i}`, size: 1000, state: i % 20 === 0 ? 'quarantined' : 'processed', outcome: null, attempts: 1, received_at: at })),
  };
}

const TABLE_ORDER = ['tickets', 'entries', 'attachments', 'watchers', 'events'] as const;
const TABLE_NAME: Record<(typeof TABLE_ORDER)[number], string> = { tickets: 'ticket', entries: 'entry', attachments: 'attachment', watchers: 'ticket_watcher', events: 'event' };

async function loadSqlite(file: string): Promise<void> {
  const raw = new SQLite(file);
  raw.pragma('cache_size = -262144');
  const inserters = new Map<string, SQLite.Statement>();
  const insert = (table: string, row: Record<string, unknown>) => {
    let stmt = inserters.get(table);
    if (!stmt) {
      const cols = Object.keys(row);
      stmt = raw.prepare(`insert into ${table} (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`);
      inserters.set(table, stmt);
    }
    stmt.run(row);
  };
  raw.transaction(() => {
    for (const [table, rows] of Object.entries(referenceRows())) for (const r of rows) insert(table, r);
  })();
  // The search triggers are set aside for the load and their work done once at the end: a row
  // written to FTS5 from a trigger flushes the index's pending terms at each statement, so a bulk
  // load through them slows as the index grows (a merge per row). The index holds the same rows
  // either way; the app's own writes, one message at a time, go through the triggers.
  const search = raw.prepare(`select name, sql from sqlite_master where type = 'trigger' and name in ('ticket_fts_insert', 'entry_search_insert')`).all() as Array<{ name: string; sql: string }>;
  if (search.length !== 2) throw new Error('the search triggers of migrations 0012 and 0017 were not found');
  for (const t of search) raw.exec(`drop trigger ${t.name}`);
  for (const batch of history()) {
    raw.transaction(() => {
      for (const key of TABLE_ORDER) for (const r of batch[key]) insert(TABLE_NAME[key], r);
    })();
  }
  raw.transaction(() => {
    raw.exec('insert into ticket_fts (rowid, summary) select id, summary from ticket');
    raw.exec('insert into entry_search (rowid, text) select ticket_id * 4294967296 + id, text from entry');
    for (const t of search) raw.exec(t.sql);
  })();
  raw.prepare(`update counter set value = ? where name = 'ticket'`).run(TICKETS);
  raw.close();
}

async function loadPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Column types for unnest(): text everywhere but these.
  const INT = new Set(['id', 'number', 'project_id', 'reporter_id', 'organisation_id', 'assignee_id', 'ticket_id', 'author_contact_id', 'author_staff_id', 'entry_id', 'size', 'inline', 'requires_validation', 'active', 'attempts', 'uid_validity', 'uid']);
  const insert = async (table: string, rows: Array<Record<string, unknown>>) => {
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      const cols = Object.keys(chunk[0]!);
      const arrays = cols.map((c) => chunk.map((r) => r[c] ?? null));
      const casts = cols.map((c, k) => `$${k + 1}::${INT.has(c) ? 'bigint' : 'text'}[]`);
      await client.query(`insert into ${table} (${cols.map((c) => `"${c}"`).join(', ')}) select * from unnest(${casts.join(', ')})`, arrays);
    }
  };
  await client.query('begin');
  for (const [table, rows] of Object.entries(referenceRows())) await insert(table, rows);
  await client.query('commit');
  // Each entry would rewrite its ticket's search document: set aside, then built once per ticket.
  await client.query('alter table ticket disable trigger ticket_search_insert');
  await client.query('alter table entry disable trigger entry_search_change');
  for (const batch of history()) {
    await client.query('begin');
    for (const key of TABLE_ORDER) if (batch[key].length) await insert(TABLE_NAME[key], batch[key]);
    await client.query('commit');
  }
  await client.query('insert into ticket_search (ticket_id, words) select id, guichet_ticket_words(id) from ticket');
  await client.query('alter table ticket enable trigger ticket_search_insert');
  await client.query('alter table entry enable trigger entry_search_change');
  await client.query(`update counter set value = $1 where name = 'ticket'`, [TICKETS]);
  for (const t of ['staff', 'project', 'organisation', 'contact', 'inbound_message', 'ticket', 'entry', 'attachment', 'event']) {
    await client.query(`select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`);
  }
  // What autovacuum does after a bulk load: statistics for the planner, the visibility map for
  // index-only scans. Run here so the figures are those of a settled database, not of the load.
  await client.query('vacuum analyze');
  await client.end();
}

// ---------------------------------------------------------------- the measures

interface View {
  name: string;
  run: (db: Kysely<Database>, i: number) => Promise<unknown>;
  /** Target p95 in ms. */
  target: number;
  rounds?: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(db: Kysely<Database>, view: View, clients: number): Promise<{ p50: number; p95: number }> {
  const rounds = view.rounds ?? ROUNDS;
  const run = async (count: number, times?: number[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await view.run(db, i);
        times?.push(performance.now() - t0);
      }
    }));
  };
  // Warmed up with as many clients as measured: on PostgreSQL that also opens the pool's sessions,
  // whose connection time would otherwise land in the first view's figures.
  await run(Math.min(20, rounds));
  const times: number[] = [];
  await run(rounds, times);
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

/** Walks `q` page by page from the start, returning the cursors met at the given page numbers. */
async function cursorsAt(db: Kysely<Database>, q: TicketListQuery, pages: number[]): Promise<Map<number, string>> {
  const wanted = new Set(pages);
  const found = new Map<number, string>();
  let after: string | null = null;
  for (let page = 2; page <= Math.max(...pages); page++) {
    const res = await listTicketQueue(db, { ...q, after });
    if (!res.next) break;
    after = res.next;
    if (wanted.has(page)) found.set(page, after);
  }
  return found;
}

async function views(db: Kysely<Database>): Promise<View[]> {
  const base: TicketListQuery = { queue: 'all', staffId: 3, limit: PAGE };
  const closed: TicketListQuery = { ...base, filters: { status: ['closed'] } };
  const lastPage = Math.floor(TICKETS / PAGE) - 5;
  const closedLast = Math.floor((TICKETS * 0.9) / PAGE) - 5;
  const deep = await cursorsAt(db, base, [10, 100, 1000, lastPage]);
  const deepClosed = await cursorsAt(db, closed, [closedLast]);
  const numbers = (i: number) => 1 + ((i * 7919) % TICKETS);
  const list = (name: string, q: TicketListQuery, target = 30): View => ({ name, target, run: (d) => listTicketQueue(d, q) });
  return [
    list('list: all, last activity (default)', base),
    list('list: open queue', { ...base, queue: 'open' }),
    list('list: mine', { ...base, queue: 'mine' }),
    list('list: awaiting staff', { ...base, queue: 'awaiting-staff' }),
    list('list: status closed (common)', closed),
    list('list: status feedback (rare)', { ...base, filters: { status: ['feedback'] } }),
    list('list: project + priority', { ...base, filters: { projectId: 7, priority: ['blocking', 'critical'] } }),
    list('list: sorted by priority', { ...base, queue: 'open', sort: 'priority' }),
    list('list: sorted by number', { ...closed, sort: 'number' }),
    list(`list: page 10`, { ...base, after: deep.get(10) ?? null }),
    list(`list: page 100`, { ...base, after: deep.get(100) ?? null }),
    list(`list: page 1000`, { ...base, after: deep.get(1000) ?? null }),
    list(`list: page ${lastPage} (deepest)`, { ...base, after: deep.get(lastPage) ?? null }),
    list(`list: closed, page ${closedLast}`, { ...closed, after: deepClosed.get(closedLast) ?? null }),
    { name: 'search: "invoice" (~1 % of entries)', target: 100, rounds: ROUNDS / 2, run: (d) => listTicketQueue(d, { ...base, search: 'invoice' }) },
    { name: 'search: "printer" (~0.15 %)', target: 100, rounds: ROUNDS / 2, run: (d) => listTicketQueue(d, { ...base, search: 'printer' }) },
    { name: 'search: "printer invoice"', target: 100, rounds: ROUNDS / 2, run: (d) => listTicketQueue(d, { ...base, search: 'printer invoice' }) },
    { name: 'search: "timeout" in open queue', target: 100, rounds: ROUNDS / 2, run: (d) => listTicketQueue(d, { ...base, queue: 'open', search: 'timeout' }) },
    { name: 'queue counts', target: 30, run: (d) => queueCounts(d, 3) },
    { name: 'ticket detail', target: 30, run: (d, i) => ticketDetail(d, numbers(i)) },
  ];
}

// ---------------------------------------------------------------- the run

interface EngineRun { engine: string; load: number; results: Map<string, { one: { p50: number; p95: number }; eight: { p50: number; p95: number }; target: number }> }

async function runEngine(engine: string): Promise<EngineRun> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'guichet-admin-bench-'));
    url = `sqlite:${path.join(dir, 'guichet.db')}`;
    cleanup = async () => {
      if (process.env.BENCH_KEEP === '1') console.error(`sqlite: kept ${url}`);
      else rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const name = `guichet_admin_bench_${process.pid}`;
    const admin = async (text: string) => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      try { await c.query(text); } finally { await c.end(); }
    };
    await admin(`drop database if exists ${name} with (force)`);
    await admin(`create database ${name}`);
    const u = new URL(PG_ADMIN);
    u.pathname = `/${name}`;
    url = u.toString();
    cleanup = async () => {
      if (process.env.BENCH_KEEP === '1') console.error(`postgres: kept ${url}`);
      else await admin(`drop database if exists ${name} with (force)`);
    };
  }
  try {
    let database = openDatabase(url);
    await migrateToLatest(database.db);
    await database.close();
    const t0 = performance.now();
    if (engine === 'sqlite') await loadSqlite(url.slice('sqlite:'.length));
    else await loadPostgres(url);
    const load = (performance.now() - t0) / 1000;
    console.error(`${engine}: ${TICKETS} tickets loaded in ${load.toFixed(0)} s`);
    // Opened as the app opens it: on SQLite that refreshes the planner statistics of the loaded tables.
    database = openDatabase(url);
    try {
      const counts = await queueCounts(database.db, 3);
      const entries = await database.db.selectFrom('entry').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      console.error(`${engine}: ${Number(entries.n)} entries; queue counts ${JSON.stringify(counts)}`);
      if (PLANS) await printPlans(database);
      const results: EngineRun['results'] = new Map();
      for (const view of await views(database.db)) {
        const one = await measure(database.db, view, 1);
        const eight = await measure(database.db, view, 8);
        results.set(view.name, { one, eight, target: view.target });
        console.error(`${engine}: ${view.name}: 1 client ${one.p50.toFixed(1)}/${one.p95.toFixed(1)} ms, 8 clients ${eight.p50.toFixed(1)}/${eight.p95.toFixed(1)} ms`);
      }
      return { engine, load, results };
    } finally {
      await database.close();
    }
  } finally {
    await cleanup();
  }
}

async function printPlans(database: Db): Promise<void> {
  const samples: Array<[string, TicketListQuery]> = [
    ['all', { queue: 'all', staffId: 3 }],
    ['closed', { queue: 'all', staffId: 3, filters: { status: ['closed'] } }],
    ['feedback', { queue: 'all', staffId: 3, filters: { status: ['feedback'] } }],
    ['mine', { queue: 'mine', staffId: 3 }],
    ['open by priority', { queue: 'open', staffId: 3, sort: 'priority' }],
    ['search', { queue: 'all', staffId: 3, search: 'printer invoice' }],
  ];
  for (const [name, q] of samples) {
    const c = ticketQueueQuery(database.db, q, await searchLead(database.db, searchWords(q.search))).compile();
    const explain = database.engine === 'sqlite' ? 'explain query plan ' : 'explain analyze ';
    const res = await database.db.executeQuery<Record<string, string>>(CompiledQuery.raw(explain + c.sql, [...c.parameters]));
    console.error(`--- plan: ${name} (${database.engine})\n${res.rows.map((r) => r.detail ?? r['QUERY PLAN']).join('\n')}`);
  }
}

function table(runs: EngineRun[]): string {
  const names = [...runs[0]!.results.keys()];
  const head = `| view | target p95 | ${runs.map((r) => `${r.engine} 1 client p50/p95 | ${r.engine} 8 clients p50/p95`).join(' | ')} |`;
  const sep = `|---|---|${runs.map(() => '---|---').join('|')}|`;
  const ms = (v: number) => v.toFixed(1);
  const rows = names.map((n) => {
    const target = runs[0]!.results.get(n)!.target;
    const cells = runs.map((r) => {
      const m = r.results.get(n)!;
      const mark = (p95: number) => (p95 <= m.target ? '' : ' ✗');
      return `${ms(m.one.p50)} / ${ms(m.one.p95)}${mark(m.one.p95)} | ${ms(m.eight.p50)} / ${ms(m.eight.p95)}${mark(m.eight.p95)}`;
    });
    return `| ${n} | ≤ ${target} ms | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n');
}

try {
  const runs: EngineRun[] = [];
  for (const engine of ENGINES) runs.push(await runEngine(engine));
  console.log(`\n${TICKETS} tickets, ~${TICKETS * ENTRIES} entries; times in ms (p50 / p95), ${ROUNDS} samples per view (${ROUNDS / 2} for searches); ✗ = above target`);
  console.log(`load: ${runs.map((r) => `${r.engine} ${r.load.toFixed(0)} s`).join(', ')}\n`);
  console.log(table(runs));
  console.log('\n8 clients on SQLite: one process, one thread; requests are served one after the other and their times include the wait.');
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
