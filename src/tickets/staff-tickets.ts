// Tickets staff open themselves (seed 000: "ouverts soit par vos propres équipes, ou par NAES"):
// a ticket on behalf of a client, who gets the usual acknowledgement, and a maintenance ticket
// announcing an intervention to every active contact of an organisation or a project — one mail
// per person, never a shared recipient list.
import type { Contact } from '../db/schema.ts';
import { domainOf } from '../mail/identify.ts';
import type { Notifier } from '../notify/notifier.ts';
import { openTicket, type Trx } from './ticket-service.ts';
import type { Priority, TicketType } from './values.ts';

export interface StaffAuthor {
  staffId: number | null;
  actor: string;
  name: string;
}

async function contactFor(trx: Trx, email: string, name: string, now: Date): Promise<Contact> {
  const address = email.trim().toLowerCase();
  const existing = await trx.selectFrom('contact').selectAll().where('email', '=', address).executeTakeFirst();
  if (existing) return existing;
  const org = await trx.selectFrom('organisation_domain').select('organisation_id').where('domain', '=', domainOf(address)).executeTakeFirst();
  // Staff vouch for the client they open a ticket for: the contact is active at once.
  return trx
    .insertInto('contact')
    .values({ email: address, name, organisation_id: org?.organisation_id ?? null, state: 'active', created_at: now.toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function openTicketForClient(
  trx: Trx,
  notifier: Notifier,
  input: {
    reporter: string;
    reporterName?: string;
    summary: string;
    description: string;
    type?: TicketType;
    priority?: Priority;
    visibility?: 'public' | 'private';
    projectId?: number | null;
    language: string;
    author: StaffAuthor;
  },
  now: Date,
) {
  const reporter = await contactFor(trx, input.reporter, input.reporterName ?? '', now);
  if (reporter.state === 'blocked' || reporter.state === 'refused') throw new Error(`${reporter.email} is ${reporter.state}`);
  const { ticket } = await openTicket(trx, {
    reporter,
    actor: input.author.actor,
    summary: input.summary,
    language: input.language,
    watchers: [],
    first: {
      kind: 'reply', authorContactId: null, authorStaffId: input.author.staffId, authorEmail: null,
      text: input.description, fullText: input.description, html: null, messageId: null, inboundMessageId: null, attachments: [],
    },
    fields: { type: input.type, priority: input.priority, visibility: input.visibility, projectId: input.projectId ?? null },
  }, now);
  await notifier.ticketReceived(trx, { ticket, reporter, answering: null, unknownTag: null }, now);
  return ticket;
}

export async function announceMaintenance(
  trx: Trx,
  notifier: Notifier,
  input: {
    organisationId?: number;
    projectId?: number;
    summary: string;
    message: string;
    startsAt: Date;
    endsAt?: Date;
    priority?: Priority;
    language: string;
    author: StaffAuthor;
  },
  now: Date,
) {
  if (!input.organisationId && !input.projectId) throw new Error('an announcement names an organisation or a project');
  let q = trx.selectFrom('contact').select(['contact.email']).where('contact.state', '=', 'active');
  if (input.organisationId) q = q.where('contact.organisation_id', '=', input.organisationId);
  if (input.projectId) {
    q = q.where('contact.organisation_id', 'in', trx.selectFrom('organisation_project').select('organisation_id').where('project_id', '=', input.projectId));
  }
  const recipients = (await q.orderBy('contact.email').execute()).map((r) => r.email);
  const organisation = input.organisationId
    ? await trx.selectFrom('organisation').select('name').where('id', '=', input.organisationId).executeTakeFirst()
    : undefined;
  const { ticket } = await openTicket(trx, {
    reporter: null,
    actor: input.author.actor,
    organisationId: input.organisationId ?? null,
    summary: input.summary,
    language: input.language,
    watchers: recipients,
    first: {
      kind: 'reply', authorContactId: null, authorStaffId: input.author.staffId, authorEmail: null,
      text: input.message, fullText: input.message, html: null, messageId: null, inboundMessageId: null, attachments: [],
    },
    fields: { type: 'maintenance', priority: input.priority, visibility: 'public', projectId: input.projectId ?? null },
  }, now);
  const sent = await notifier.ticketEvent(trx, ticket, 'maintenance-announcement', () => ({
    message: input.message,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    organisation: organisation?.name,
    authorName: input.author.name,
  }), now);
  return { ticket, recipients: sent };
}
