// What staff read of one ticket in the admin: its fields with names instead of ids, the whole
// thread (internal notes included, marked), the flags on unverified mail, its attachments, and its
// version — the id of its latest event, which every change, reply and note writes — so a form
// posted from an out-of-date page can be refused with what changed meanwhile.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { scopeTickets, type Scope } from './rights.ts';

export async function ticketVersion(db: Kysely<Database>, ticketId: number): Promise<number> {
  const row = await db.selectFrom('event').select((eb) => eb.fn.max('id').as('v')).where('ticket_id', '=', ticketId).executeTakeFirst();
  return Number(row?.v ?? 0);
}

/** What happened on the ticket after `version`: one line per event, for the refusal of a stale form. */
export async function changesSince(db: Kysely<Database>, ticketId: number, version: number) {
  return db
    .selectFrom('event')
    .select(['kind', 'field', 'from_value', 'to_value', 'actor', 'created_at'])
    .where('ticket_id', '=', ticketId)
    .where('id', '>', version)
    .orderBy('id')
    .execute();
}

/** The ticket and what goes with it; null when it does not exist or lies outside `scope` (rights.ts). */
export async function ticketForStaff(db: Kysely<Database>, number: number, scope: Scope = 'all') {
  const ticket = await scopeTickets(db
    .selectFrom('ticket')
    .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
    .leftJoin('organisation', 'organisation.id', 'ticket.organisation_id')
    .leftJoin('staff', 'staff.id', 'ticket.assignee_id')
    .leftJoin('project', 'project.id', 'ticket.project_id')
    .selectAll('ticket')
    .select([
      'contact.email as reporter_email', 'contact.name as reporter_name', 'contact.state as reporter_state',
      'organisation.name as organisation_name', 'staff.email as assignee_email', 'staff.name as assignee_name', 'project.name as project_name',
    ])
    .where('ticket.number', '=', number), scope)
    .executeTakeFirst();
  if (!ticket) return null;
  const entries = await db
    .selectFrom('entry')
    .leftJoin('staff', 'staff.id', 'entry.author_staff_id')
    .leftJoin('contact', 'contact.id', 'entry.author_contact_id')
    .select([
      'entry.id', 'entry.kind', 'entry.text', 'entry.full_text', 'entry.html', 'entry.author_email', 'entry.created_at',
      'staff.name as staff_name', 'contact.name as contact_name',
    ])
    .where('entry.ticket_id', '=', ticket.id)
    .orderBy('entry.id')
    .execute();
  const attachments = entries.length
    ? await db
        .selectFrom('attachment')
        .select(['id', 'entry_id', 'filename', 'content_type', 'size', 'sha256', 'inline'])
        .where('entry_id', 'in', entries.map((e) => e.id))
        .orderBy('id')
        .execute()
    : [];
  const flags = await db.selectFrom('event').select(['from_value', 'to_value']).where('ticket_id', '=', ticket.id).where('kind', '=', 'unverified').execute();
  // Tickets marked as duplicates of this one: their threads are shown here, merged.
  const merged = await db.selectFrom('ticket').select(['id', 'number', 'summary']).where('duplicate_of', '=', ticket.number).orderBy('number').execute();
  const mergedEntries = merged.length
    ? await db
        .selectFrom('entry')
        .leftJoin('staff', 'staff.id', 'entry.author_staff_id')
        .leftJoin('contact', 'contact.id', 'entry.author_contact_id')
        .select(['entry.id', 'entry.ticket_id', 'entry.kind', 'entry.text', 'entry.author_email', 'entry.created_at', 'staff.name as staff_name', 'contact.name as contact_name'])
        .where('entry.ticket_id', 'in', merged.map((m) => m.id))
        .orderBy('entry.id')
        .execute()
    : [];
  // The reporter's other tickets, newest first: what else this client is waiting for.
  const others = ticket.reporter_id === null
    ? []
    : await scopeTickets(db
        .selectFrom('ticket')
        .select(['number', 'summary', 'status', 'updated_at'])
        .where('reporter_id', '=', ticket.reporter_id)
        .where('id', '!=', ticket.id), scope)
        .orderBy('updated_at', 'desc')
        .limit(10)
        .execute();
  const unverified = new Map(flags.map((f) => [f.from_value, f.to_value]));
  // The project's products, with those the ticket carries: what the composer offers.
  const products = ticket.project_id === null
    ? []
    : await db
        .selectFrom('product')
        .leftJoin('ticket_product', (j) => j.onRef('ticket_product.product_id', '=', 'product.id').on('ticket_product.ticket_id', '=', ticket.id))
        .select(['product.id', 'product.name', 'ticket_product.ticket_id as chosen'])
        .where('product.project_id', '=', ticket.project_id)
        .orderBy('product.name')
        .execute();
  return {
    ticket,
    products: products.map((p) => ({ id: p.id, name: p.name, chosen: p.chosen !== null })),
    others,
    merged: merged.map((m) => ({ ...m, entries: mergedEntries.filter((e) => e.ticket_id === m.id) })),
    version: await ticketVersion(db, ticket.id),
    entries: entries.map((e) => ({
      ...e,
      unverified: unverified.get(String(e.id)) ?? null,
      attachments: attachments.filter((a) => a.entry_id === e.id),
    })),
  };
}

export type TicketForStaff = NonNullable<Awaited<ReturnType<typeof ticketForStaff>>>;
