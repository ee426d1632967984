// What the JSON API reads of tickets: its list and one ticket with its public thread. Reads only;
// the admin's own reads are ticket-list.ts (queues, search, keyset pages) and ticket-page.ts.
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database, Status } from '../db/schema.ts';
import { scopeParts, scopeTickets, type Scope } from './rights.ts';

/**
 * A page of tickets, newest first by number. `after` (the last number a caller saw) reads the next
 * page from the index on number, however deep; `page` is the OFFSET of old, kept for the scripts that
 * use it, and costs the rows it skips. `next` is the `after` of the following page (null at the end),
 * found by reading one row more than the page.
 */
export async function listTickets(db: Kysely<Database>, q: { page: number; perPage: number; status?: Status; scope?: Scope; after?: number }) {
  const scope = q.scope ?? 'all';
  const rows = scopeTickets(db.selectFrom('ticket'), scope)
    .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
    .select([
      'ticket.number', 'ticket.summary', 'ticket.type', 'ticket.priority', 'ticket.status',
      'ticket.resolution', 'ticket.visibility', 'ticket.awaiting', 'ticket.created_at', 'ticket.updated_at',
      'contact.email as reporter',
    ])
    .$if(q.status !== undefined, (qb) => qb.where('ticket.status', '=', q.status!))
    .$if(q.after !== undefined, (qb) => qb.where('ticket.number', '<', q.after!))
    .orderBy('ticket.number', 'desc')
    .limit(q.perPage + 1)
    .$if(q.after === undefined && q.page > 1, (qb) => qb.offset((q.page - 1) * q.perPage));
  const [found, total] = await Promise.all([rows.execute(), countTickets(db, scope, q.status)]);
  const tickets = found.slice(0, q.perPage);
  return { tickets, total, next: found.length > q.perPage ? tickets.at(-1)!.number : null };
}

/**
 * How many tickets the list holds, whatever the page. Every ticket, for a caller who sees them all:
 * the total the database keeps by trigger (tally, migration 0012), one row read; of one status, from
 * the (status, number) index alone. For a caller's projects, one count for the projects and one for
 * the shared inbox, each from the (project_id, status) index alone (migration 0018): counted as one
 * `project_id in (…) or project_id is null`, the engines read the tickets themselves (PostgreSQL
 * scanned the table).
 */
export async function countTickets(db: Kysely<Database>, scope: Scope, status?: Status): Promise<number> {
  if (scope === 'all' && status === undefined) {
    const kept = await db.selectFrom('tally').select('value').where('name', '=', 'tickets').executeTakeFirst();
    if (kept) return Number(kept.value);
  }
  const count = (narrow: (qb: SelectQueryBuilder<Database, 'ticket', object>) => SelectQueryBuilder<Database, 'ticket', object>) =>
    narrow(db.selectFrom('ticket'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .$if(status !== undefined, (qb) => qb.where('ticket.status', '=', status!))
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.n));
  if (scope === 'all') return count((qb) => qb);
  const { projects, sharedInbox } = scopeParts(scope);
  const [inProjects, inInbox] = await Promise.all([
    projects.length ? count((qb) => qb.where('ticket.project_id', 'in', projects)) : 0,
    sharedInbox ? count((qb) => qb.where('ticket.project_id', 'is', null)) : 0,
  ]);
  return inProjects + inInbox;
}

/** A ticket's fields, its description, watchers and public thread (internal notes left out). */
export async function ticketDetail(db: Kysely<Database>, number: number) {
  const ticket = await db
    .selectFrom('ticket')
    .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
    .selectAll('ticket')
    .select(['contact.email as reporter', 'contact.name as reporter_name'])
    .where('ticket.number', '=', number)
    .executeTakeFirst();
  if (!ticket) return null;
  const all = await db
    .selectFrom('entry')
    .select(['id', 'kind', 'author_email', 'text', 'full_text', 'message_id', 'created_at'])
    .where('ticket_id', '=', ticket.id)
    .orderBy('id')
    .execute();
  // The description is the first entry's text, stored once; full_text is null when it is the text.
  const description = all[0]?.text ?? '';
  const entries = all.filter((e) => e.kind !== 'note').map((e) => ({ ...e, full_text: e.full_text ?? e.text }));
  const attachments = entries.length
    ? await db
        .selectFrom('attachment')
        .select(['entry_id', 'filename', 'content_type', 'size', 'sha256'])
        .where('entry_id', 'in', entries.map((e) => e.id))
        .orderBy('id')
        .execute()
    : [];
  const watchers = await db.selectFrom('ticket_watcher').select('email').where('ticket_id', '=', ticket.id).execute();
  // Comments nothing authenticated (authentication.clients `authenticated`) say so, with the reason.
  const flags = await db.selectFrom('event').select(['from_value', 'to_value']).where('ticket_id', '=', ticket.id).where('kind', '=', 'unverified').execute();
  const unverified = new Map(flags.map((f) => [f.from_value, f.to_value]));
  // The action token is what proves a "confirm"/"still broken" reply came from the client's link: never shown.
  const { id: _id, reporter_id: _r, action_token: _secret, ...fields } = ticket;
  return {
    ...fields,
    description,
    watchers: watchers.map((w) => w.email),
    entries: entries.map((e) => ({
      ...e,
      unverified: unverified.get(String(e.id)) ?? null,
      attachments: attachments.filter((a) => a.entry_id === e.id).map(({ entry_id: _e, ...a }) => a),
    })),
  };
}
