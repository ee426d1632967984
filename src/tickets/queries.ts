// What the JSON API reads of tickets: its list and one ticket with its public thread. Reads only;
// the admin's own reads are ticket-list.ts (queues, search, keyset pages) and ticket-page.ts.
import type { Kysely } from 'kysely';
import type { Database, Status } from '../db/schema.ts';
import { scopeTickets, type Scope } from './rights.ts';

export async function listTickets(db: Kysely<Database>, q: { page: number; perPage: number; status?: Status; scope?: Scope }) {
  const rows = scopeTickets(db.selectFrom('ticket'), q.scope ?? 'all')
    .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
    .select([
      'ticket.number', 'ticket.summary', 'ticket.type', 'ticket.priority', 'ticket.status',
      'ticket.resolution', 'ticket.visibility', 'ticket.awaiting', 'ticket.created_at', 'ticket.updated_at',
      'contact.email as reporter',
    ])
    .$if(q.status !== undefined, (qb) => qb.where('ticket.status', '=', q.status!))
    .orderBy('ticket.number', 'desc')
    .limit(q.perPage)
    .offset((q.page - 1) * q.perPage);
  const total = scopeTickets(db.selectFrom('ticket'), q.scope ?? 'all')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .$if(q.status !== undefined, (qb) => qb.where('status', '=', q.status!));
  const [tickets, count] = await Promise.all([rows.execute(), total.executeTakeFirstOrThrow()]);
  return { tickets, total: Number(count.n) };
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
