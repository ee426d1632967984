// The staff ticket list: queues, filters, full-text search, sorts and keyset pagination, and the
// queue counts shown beside it. Reads only; made to stay fast on a long history (100k tickets):
//
// - every page is one range of an index in the order shown (migration 0012), resumed from the last
//   row's sort key: the thousandth page costs what the first does, and no page counts the table;
// - the queue predicates are written with literals, as the partial indexes of migration 0012 are,
//   because SQLite uses a partial index only when the query's WHERE holds the same term;
// - counts read those small partial indexes, and the trigger-kept total for "all";
// - a search yields ticket ids straight from its index (migration 0017), and for a common word the
//   list's own index leads, so a page is found long before every match is read.
//
// Queues: `open` is every ticket neither resolved nor closed (the work still to do); `mine` and
// `unassigned` are open tickets with that assignee; `awaiting-staff` and `awaiting-client` follow the
// ticket's `awaiting` marker whatever its status (a resolved ticket awaits the client's verdict).
//
// Search matches words (each as a prefix: "invo" finds "invoice") in the summary and in the text of
// any entry of the thread — client mail, staff replies and internal notes alike, since the list is
// staff's alone — and a ticket matches when each word is somewhere in it. Only the new text of a
// mail is indexed, not the quoted history. SQLite folds accents ("resume" finds "résumé");
// PostgreSQL's 'simple' configuration does not. Results keep the chosen sort; there is no ranking.
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Awaiting, Database, Priority, Resolution, Status, TicketType, Timestamp } from '../db/schema.ts';
import { PRIORITIES } from '../db/schema.ts';
import { scopeContacts, scopeMail, scopeTickets, type Scope } from './rights.ts';

export const QUEUES = ['mine', 'unassigned', 'awaiting-staff', 'awaiting-client', 'open', 'all'] as const;
export type Queue = (typeof QUEUES)[number];
export const SORTS = ['activity', 'number', 'priority'] as const;
export type ListSort = (typeof SORTS)[number];
export const MAX_PAGE_SIZE = 100;
/** At most this many words of a search are used; more would only slow the query down. */
export const MAX_SEARCH_WORDS = 8;

export interface TicketListFilters {
  projectId?: number;
  status?: Status[];
  priority?: Priority[];
  type?: TicketType[];
  /** A staff id, or `none` for unassigned tickets. */
  assignee?: number | 'none';
  organisationId?: number;
  awaiting?: 'staff' | 'client' | 'none';
}

export interface TicketListQuery {
  queue: Queue;
  /** The acting staff member: whose tickets `mine` lists. */
  staffId: number | null;
  /** What the acting staff member may see (rights.ts); every ticket when absent. */
  scope?: Scope;
  filters?: TicketListFilters;
  search?: string;
  /** `activity` (last activity, the default), `number` or `priority`; ties broken by activity, then number. */
  sort?: ListSort;
  /** Newest, highest first by default. */
  direction?: 'desc' | 'asc';
  /** The `next` of the previous page; it must come from the same sort and direction. */
  after?: string | null;
  /** 1 to 100; 50 by default. */
  limit?: number;
}

export interface TicketListRow {
  number: number;
  summary: string;
  projectKey: string | null;
  reporterEmail: string | null;
  reporterName: string | null;
  organisationName: string | null;
  type: TicketType;
  priority: Priority;
  status: Status;
  resolution: Resolution;
  assigneeName: string | null;
  visibility: string;
  /** Last activity: any change or entry on the ticket. */
  updatedAt: Timestamp;
  awaiting: Awaiting;
  /** When the ticket began waiting on its current side (null when it waits on nobody). */
  waitingSince: Timestamp | null;
}

export interface TicketListPage {
  rows: TicketListRow[];
  /** The cursor of the following page; null on the last one. */
  next: string | null;
}

/** A cursor that is not one this module made for the same sort: the caller answers 400. */
export class BadCursorError extends Error {
  constructor(why: string) {
    super(`invalid page cursor: ${why}`);
    this.name = 'BadCursorError';
  }
}

// Literal, as in migration 0012's partial indexes.
const OPEN = sql<SqlBool>`ticket.status not in ('resolved', 'closed')`;
/** Word for word the expression of migration 0017's priority indexes, which SQLite matches by its text. */
export const PRIORITY_RANK_SQL = `(case ticket.priority ${PRIORITIES.map((p, i) => `when '${p}' then ${i}`).join(' ')} else -1 end)`;
const PRIORITY_RANK = sql.raw<number>(PRIORITY_RANK_SQL);

type Key = [number] | [string, number] | [number, string, number];

function sortColumns(sort: ListSort): Expression<unknown>[] {
  switch (sort) {
    case 'number':
      return [sql.ref('ticket.number')];
    case 'priority':
      return [PRIORITY_RANK, sql.ref('ticket.updated_at'), sql.ref('ticket.number')];
    default:
      return [sql.ref('ticket.updated_at'), sql.ref('ticket.number')];
  }
}

function keyOf(sort: ListSort, row: { number: number; updated_at: string; priority: Priority }): Key {
  if (sort === 'number') return [row.number];
  if (sort === 'priority') return [PRIORITIES.indexOf(row.priority), row.updated_at, row.number];
  return [row.updated_at, row.number];
}

function encodeCursor(sort: ListSort, direction: string, key: Key): string {
  return Buffer.from(JSON.stringify([sort, direction, ...key])).toString('base64url');
}

function decodeCursor(cursor: string, sort: ListSort, direction: string): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursorError('not a cursor');
  }
  if (!Array.isArray(parsed) || parsed[0] !== sort || parsed[1] !== direction) {
    throw new BadCursorError('it belongs to another sort');
  }
  const key = parsed.slice(2);
  const shape = sort === 'number' ? ['number'] : sort === 'priority' ? ['number', 'string', 'number'] : ['string', 'number'];
  if (key.length !== shape.length || key.some((v, i) => typeof v !== shape[i] || (typeof v === 'number' && !Number.isSafeInteger(v)))) {
    throw new BadCursorError('malformed');
  }
  return key as Key;
}

/** The words of a search as the indexes see them: letters and digits, lower case. */
export function searchWords(search: string | undefined): string[] {
  const words = (search ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_SEARCH_WORDS);
}

function engineOf(db: Kysely<Database>): 'postgres' | 'sqlite' {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter' ? 'postgres' : 'sqlite';
}

/**
 * The tickets holding every word (each as a prefix) in their summary or in an entry's text. On
 * PostgreSQL one lookup in the per-ticket documents of migration 0017; on SQLite one per word, in the
 * summaries and in the entries, whose index rowid carries the ticket (ticket id × 2³² + entry id).
 *
 * `lead` says which side leads: `matches` reads the matching tickets first, then sorts them (right
 * when few match); `order` walks the list's own index in the order shown and keeps the tickets that
 * match (right for a common word, where the first page is found long before the matches are read).
 * The unary `+` is SQLite's way of saying a term may not lead.
 */
function matching(engine: 'postgres' | 'sqlite', words: string[], lead: 'matches' | 'order'): Expression<SqlBool>[] {
  if (engine === 'postgres') {
    const query = words.map((w) => `${w}:*`).join(' & ');
    return [sql<SqlBool>`ticket.id in (select ticket_search.ticket_id from ticket_search where ticket_search.words @@ to_tsquery('simple', ${query}))`];
  }
  const id = lead === 'order' ? sql`+ticket.id` : sql`ticket.id`;
  // A quoted FTS5 string is taken as text, never as query syntax; `*` makes it a prefix.
  return words.map((word) => {
    const query = `"${word}"*`;
    return sql<SqlBool>`${id} in (
      select rowid from ticket_fts where ticket_fts match ${query}
      union select rowid >> 32 from entry_search where entry_search match ${query})`;
  });
}

/** Past this many entries holding each word of a search, the list's order leads (see `matching`). */
const COMMON = 1000;

/** Whether every word of a search is common enough that walking the list's order finds a page sooner. */
export async function searchLead(db: Kysely<Database>, words: string[]): Promise<'matches' | 'order'> {
  if (!words.length || engineOf(db) === 'postgres') return 'matches';
  for (const word of words) {
    const { n } = await sql<{ n: number }>`select count(*) as n from (select 1 from entry_search where entry_search match ${`"${word}"*`} limit ${COMMON})`
      .execute(db).then((r) => r.rows[0]!);
    if (Number(n) < COMMON) return 'matches';
  }
  return 'order';
}

function settings(q: TicketListQuery) {
  return {
    sort: q.sort ?? 'activity',
    direction: q.direction ?? 'desc',
    limit: Math.max(1, Math.min(MAX_PAGE_SIZE, Math.trunc(q.limit ?? 50))),
  } as const;
}

/** The page's query, unexecuted: listTicketQueue runs it; diagnostics (the benchmark) explain it. */
export function ticketQueueQuery(db: Kysely<Database>, q: TicketListQuery, lead: 'matches' | 'order' = 'matches') {
  const { sort, direction, limit } = settings(q);
  const f = q.filters ?? {};
  const after = q.after ? decodeCursor(q.after, sort, direction) : null;
  const engine = engineOf(db);
  const columns = sortColumns(sort);

  // The page is chosen on the ticket table alone, then joined: whatever plan the engine picks, names
  // are looked up for the page's rows only, never for every ticket of the queue.
  let query = db
    .selectFrom('ticket')
    .select([
      'ticket.number', 'ticket.summary', 'ticket.project_id', 'ticket.reporter_id', 'ticket.organisation_id',
      'ticket.assignee_id', 'ticket.type', 'ticket.priority', 'ticket.status', 'ticket.resolution', 'ticket.visibility',
      'ticket.updated_at', 'ticket.awaiting', 'ticket.awaiting_since', PRIORITY_RANK.as('priority_rank'),
    ]);

  switch (q.queue) {
    case 'mine':
      // Without a staff member nothing is "mine"; -1 matches no one.
      query = query.where('ticket.assignee_id', '=', q.staffId ?? -1).where(OPEN);
      break;
    case 'unassigned':
      query = query.where('ticket.assignee_id', 'is', null).where(OPEN);
      break;
    case 'awaiting-staff':
      query = query.where(sql<SqlBool>`ticket.awaiting = 'staff'`);
      break;
    case 'awaiting-client':
      query = query.where(sql<SqlBool>`ticket.awaiting = 'client'`);
      break;
    case 'open':
      query = query.where(OPEN);
      break;
    case 'all':
      break;
  }

  if (f.projectId !== undefined) query = query.where('ticket.project_id', '=', f.projectId);
  if (f.status?.length) query = query.where('ticket.status', 'in', f.status);
  if (f.priority?.length) query = query.where('ticket.priority', 'in', f.priority);
  if (f.type?.length) query = query.where('ticket.type', 'in', f.type);
  if (f.assignee === 'none') query = query.where('ticket.assignee_id', 'is', null);
  else if (f.assignee !== undefined) query = query.where('ticket.assignee_id', '=', f.assignee);
  if (f.organisationId !== undefined) query = query.where('ticket.organisation_id', '=', f.organisationId);
  if (f.awaiting === 'none') query = query.where('ticket.awaiting', 'is', null);
  else if (f.awaiting !== undefined) query = query.where('ticket.awaiting', '=', f.awaiting);

  const words = searchWords(q.search);
  if (words.length) for (const term of matching(engine, words, lead)) query = query.where(term);
  query = scopeTickets(query, q.scope ?? 'all');

  if (after) {
    // A row-value comparison both engines turn into one index range.
    const op = sql.raw(direction === 'desc' ? '<' : '>');
    query = query.where(sql<SqlBool>`(${sql.join(columns)}) ${op} (${sql.join(after)})`);
  }
  for (const c of columns) query = query.orderBy(c, direction);
  const page = query.limit(limit + 1).as('t');
  const outer = { activity: ['t.updated_at', 't.number'], number: ['t.number'], priority: ['t.priority_rank', 't.updated_at', 't.number'] } as const;
  let joined = db
    .selectFrom(page)
    .leftJoin('contact', 'contact.id', 't.reporter_id')
    .leftJoin('organisation', 'organisation.id', 't.organisation_id')
    .leftJoin('staff', 'staff.id', 't.assignee_id')
    .leftJoin('project', 'project.id', 't.project_id')
    .select([
      't.number', 't.summary', 'project.key as project_key', 'contact.email as reporter_email',
      'contact.name as reporter_name', 'organisation.name as organisation_name', 't.type', 't.priority',
      't.status', 't.resolution', 'staff.name as assignee_name', 't.visibility', 't.updated_at',
      't.awaiting', 't.awaiting_since',
    ]);
  for (const c of outer[sort]) joined = joined.orderBy(c, direction);
  return joined;
}

/** One page of a queue, filtered, searched and sorted; follow `next` for the following page. */
export async function listTicketQueue(db: Kysely<Database>, q: TicketListQuery): Promise<TicketListPage> {
  const { sort, direction, limit } = settings(q);
  const rows = await ticketQueueQuery(db, q, await searchLead(db, searchWords(q.search))).execute();

  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => ({
      number: Number(r.number),
      summary: r.summary,
      projectKey: r.project_key,
      reporterEmail: r.reporter_email,
      reporterName: r.reporter_name,
      organisationName: r.organisation_name,
      type: r.type,
      priority: r.priority,
      status: r.status,
      resolution: r.resolution,
      assigneeName: r.assignee_name,
      visibility: r.visibility,
      updatedAt: r.updated_at,
      awaiting: r.awaiting,
      waitingSince: r.awaiting_since,
    })),
    next: rows.length > limit && last ? encodeCursor(sort, direction, keyOf(sort, { ...last, number: Number(last.number) })) : null,
  };
}

export type QueueCounts = Record<Queue, number> & {
  /** Contacts awaiting validation. */
  pendingContacts: number;
  /** Inbound mail quarantined, awaiting a staff decision. */
  quarantined: number;
};

/**
 * Every queue's count in one statement. Each reads a partial index of open or awaiting tickets
 * (small whatever the history) or the trigger-kept total; none reads the ticket table. An agent kept
 * to some projects (`scope`) gets the counts of what they may see: "all" is then counted, not read
 * from the total.
 */
export async function queueCounts(db: Kysely<Database>, staffId: number | null, scope: Scope = 'all'): Promise<QueueCounts> {
  const row = await db
    .selectNoFrom((eb) => {
      const tickets = (where: Expression<SqlBool>) => scopeTickets(eb.selectFrom('ticket').select(eb.fn.countAll<number>().as('n')).where(where), scope);
      return [
        tickets(sql<SqlBool>`ticket.assignee_id = ${staffId ?? -1} and ${OPEN}`).as('mine'),
        tickets(sql<SqlBool>`ticket.assignee_id is null and ${OPEN}`).as('unassigned'),
        tickets(sql<SqlBool>`ticket.awaiting = 'staff'`).as('awaiting_staff'),
        tickets(sql<SqlBool>`ticket.awaiting = 'client'`).as('awaiting_client'),
        tickets(OPEN).as('open'),
        scope === 'all'
          ? eb.selectFrom('tally').select('value').where('name', '=', 'tickets').as('all')
          : tickets(sql<SqlBool>`1 = 1`).as('all'),
        scopeContacts(eb.selectFrom('contact').select(eb.fn.countAll<number>().as('n')).where(sql<SqlBool>`contact.state = 'pending'`), scope).as('pending_contacts'),
        scopeMail(eb.selectFrom('inbound_message').select(eb.fn.countAll<number>().as('n')).where(sql<SqlBool>`inbound_message.state = 'quarantined'`), scope, 'inbound_message').as('quarantined'),
      ];
    })
    .executeTakeFirstOrThrow();
  return {
    mine: Number(row.mine ?? 0),
    unassigned: Number(row.unassigned ?? 0),
    'awaiting-staff': Number(row.awaiting_staff ?? 0),
    'awaiting-client': Number(row.awaiting_client ?? 0),
    open: Number(row.open ?? 0),
    all: Number(row.all ?? 0),
    pendingContacts: Number(row.pending_contacts ?? 0),
    quarantined: Number(row.quarantined ?? 0),
  };
}
