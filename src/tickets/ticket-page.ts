// What staff read of one ticket in the admin: its fields with names instead of ids, the whole
// thread (internal notes included, marked), the flags on unverified mail, its attachments, and its
// version — the id of its latest event, which every change, reply and note writes — so a form
// posted from an out-of-date page can be refused with what changed meanwhile.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

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

export async function ticketForStaff(db: Kysely<Database>, number: number) {
  const ticket = await db
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
    .where('ticket.number', '=', number)
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
  const unverified = new Map(flags.map((f) => [f.from_value, f.to_value]));
  return {
    ticket,
    version: await ticketVersion(db, ticket.id),
    entries: entries.map((e) => ({
      ...e,
      unverified: unverified.get(String(e.id)) ?? null,
      attachments: attachments.filter((a) => a.entry_id === e.id),
    })),
  };
}

export type TicketForStaff = NonNullable<Awaited<ReturnType<typeof ticketForStaff>>>;
