// What staff do to tickets, whatever they use (the JSON API today, the admin pages and staff mail
// next): reply publicly, add a note, change fields and status, set the evaluation, open a ticket
// for a client, announce a maintenance. Each verb takes the acting staff member and the caller's
// transaction, and returns the result or a refusal with the reason. A verb may have written part of
// its change before refusing: run it through `inTransaction`, which rolls a refusal back whole.
import type { Kysely } from 'kysely';
import type { Database, Entry, Language, Priority, Resolution, Status, Ticket, TicketType, Trx, Visibility } from '../db/schema.ts';
import { contactForStaff } from '../accounts/contacts.ts';
import { changeTicket, type ChangeActor } from './change-ticket.ts';
import type { TicketNotices } from './notices.ts';
import { addEntry, openTicket, recordEvent, ticketByNumber, type EntryInput } from './store.ts';
import type { Change } from './workflow.ts';

/** A staff member, or (staffId null) the installation's integration token acting as the support team. */
export interface StaffActor extends ChangeActor {
  role: 'staff';
  staffId: number | null;
  name: string;
}

export type Refusal = { ok: false; code: 'not_found' | 'invalid' | 'refused'; reason: string };
export type VerbResult<T> = ({ ok: true } & T) | Refusal;

export interface StaffVerbDeps {
  notices: TicketNotices;
  /** The language of tickets staff open (the installation's default). */
  language: Language;
}

const refuse = (code: Refusal['code'], reason: string): Refusal => ({ ok: false, code, reason });

class RolledBack extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/** Runs a verb in its own transaction; a refusal rolls back everything the verb had written. */
export async function inTransaction<T>(db: Kysely<Database>, verb: (trx: Trx) => Promise<VerbResult<T>>): Promise<VerbResult<T>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await verb(trx);
      if (!result.ok) throw new RolledBack(result);
      return result;
    });
  } catch (err) {
    if (err instanceof RolledBack) return err.refusal;
    throw err;
  }
}

async function load(trx: Trx, number: number): Promise<VerbResult<{ ticket: Ticket }>> {
  const ticket = await ticketByNumber(trx, number);
  return ticket ? { ok: true, ticket } : refuse('not_found', `no ticket #${number}`);
}

async function projectByKey(trx: Trx, key: string | undefined): Promise<VerbResult<{ id: number | null }>> {
  if (!key) return { ok: true, id: null };
  const project = await trx.selectFrom('project').select('id').where('key', '=', key).executeTakeFirst();
  return project ? { ok: true, id: project.id } : refuse('invalid', `no project ${key}`);
}

/** The mail a staff member answered from: the entry keeps its whole body, its attachments and its place in the thread. */
export type StaffMail = Pick<EntryInput, 'fullText' | 'html' | 'messageId' | 'inboundMessageId' | 'attachments'>;

/** A public reply (mailed to the ticket's audience) or an internal note (never leaves). */
export async function replyToTicket(
  trx: Trx, deps: StaffVerbDeps, actor: StaffActor,
  input: { number: number; message: string; internal: boolean; mail?: StaffMail }, now: Date,
): Promise<VerbResult<{ entry: Entry }>> {
  const found = await load(trx, input.number);
  if (!found.ok) return found;
  const entry = await addEntry(trx, found.ticket.id, {
    kind: input.internal ? 'note' : 'reply', authorContactId: null, authorStaffId: actor.staffId, authorEmail: null,
    text: input.message, fullText: input.message, html: null, messageId: null, inboundMessageId: null, attachments: [],
    ...input.mail,
  }, now);
  await recordEvent(trx, { ticketId: found.ticket.id, actor: actor.id, kind: input.internal ? 'noted' : 'replied', to: String(entry.id) }, now);
  if (!input.internal) {
    const out = await changeTicket(trx, deps.notices, found.ticket, { kind: 'staff_reply' }, actor, now);
    const ticket = out.ok ? out.ticket : found.ticket;
    await deps.notices.staffReplied(trx, { ticket, message: input.message, authorName: actor.name }, now);
  }
  return { ok: true, entry };
}

/** The seed's evaluation of a ticket: internal to staff, never mailed. */
export interface Evaluation {
  urgency?: string | null;
  impact?: string | null;
  cost_estimate?: string | null;
}

export interface FieldChanges extends Evaluation {
  reopen?: true;
  priority?: Priority;
  type?: TicketType;
  /** A staff member's address, or null to unassign. */
  assignee?: string | null;
  duplicateOf?: number;
  resolution?: Resolution;
  status?: Status;
  /** Who hears of the ticket besides its reporter: staff's decision, recorded, mailed to nobody. */
  visibility?: Visibility;
  /** The ticket's products, ids of its project's products: the whole set, replacing the one it has. */
  products?: number[];
  /** Shown to the client in the notice the change sends. */
  message?: string;
}

/**
 * Changes fields, status and evaluation in one go, in a fixed order (reopen first, status last, so
 * "assign and set assigned" works in one request). Every change or none: refused as a whole.
 */
export async function changeFields(
  trx: Trx, deps: StaffVerbDeps, actor: StaffActor, number: number, input: FieldChanges, now: Date,
): Promise<VerbResult<{ ticket: Ticket }>> {
  const found = await load(trx, number);
  if (!found.ok) return found;
  let ticket = found.ticket;
  const changes: Change[] = [];
  if (input.reopen) changes.push({ kind: 'reopen' });
  if (input.priority) changes.push({ kind: 'priority', to: input.priority });
  if (input.type) changes.push({ kind: 'type', to: input.type });
  if (input.assignee !== undefined) {
    const staff = input.assignee === null ? null : await trx.selectFrom('staff').select('id').where('email', '=', input.assignee.toLowerCase()).executeTakeFirst();
    if (input.assignee !== null && !staff) return refuse('invalid', `no staff member ${input.assignee}`);
    changes.push({ kind: 'assign', assigneeId: staff?.id ?? null });
  }
  if (input.duplicateOf !== undefined) changes.push({ kind: 'duplicate', of: input.duplicateOf });
  if (input.resolution && input.resolution !== 'duplicate') changes.push({ kind: 'resolve', resolution: input.resolution });
  if (input.status) changes.push({ kind: 'status', to: input.status });
  const products = input.products === undefined ? null : await productChange(trx, ticket, input.products);
  if (products && !products.ok) return products;
  const evaluated = await evaluate(trx, actor, ticket, input, now);
  const seen = input.visibility !== undefined && input.visibility !== evaluated.ticket.visibility;
  if (!changes.length && !evaluated.changed && !seen && !products?.change) return refuse('invalid', 'nothing to change');
  if (products?.change) {
    await trx.deleteFrom('ticket_product').where('ticket_id', '=', ticket.id).execute();
    if (products.change.to.length) {
      await trx.insertInto('ticket_product').values(products.change.to.map((p) => ({ ticket_id: ticket.id, product_id: p.id }))).execute();
    }
    const names = (list: Array<{ name: string }>) => list.map((p) => p.name).join(', ');
    await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'changed', field: 'products', from: names(products.change.from), to: names(products.change.to) }, now);
  }
  ticket = evaluated.ticket;
  if (seen) {
    ticket = await trx.updateTable('ticket').set({ visibility: input.visibility! }).where('id', '=', ticket.id).returningAll().executeTakeFirstOrThrow();
    await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'changed', field: 'visibility', from: evaluated.ticket.visibility, to: input.visibility! }, now);
  }
  for (const change of changes) {
    const out = await changeTicket(trx, deps.notices, ticket, change, actor, now, { message: input.message });
    if (!out.ok) return refuse('refused', out.reason);
    ticket = out.ticket;
  }
  return { ok: true, ticket };
}

/** The products asked for, checked against the ticket's project; `change` null when the set is the same. */
async function productChange(trx: Trx, ticket: Ticket, ids: number[]): Promise<VerbResult<{ change: { from: Array<{ id: number; name: string }>; to: Array<{ id: number; name: string }> } | null }>> {
  const wanted = [...new Set(ids)];
  const offered = ticket.project_id === null ? [] : await trx.selectFrom('product').select(['id', 'name']).where('project_id', '=', ticket.project_id).orderBy('name').execute();
  const unknown = wanted.filter((id) => !offered.some((p) => p.id === id));
  if (unknown.length) return refuse('invalid', `product ${unknown.join(', ')} is not one of this ticket's project`);
  const current = await trx.selectFrom('ticket_product').select('product_id').where('ticket_id', '=', ticket.id).execute();
  const from = offered.filter((p) => current.some((c) => c.product_id === p.id));
  const to = offered.filter((p) => wanted.includes(p.id));
  const same = from.length === to.length && from.every((p) => to.includes(p));
  return { ok: true, change: same ? null : { from, to } };
}

/** Sets the seed's evaluation (urgency, impact, cost estimate) alone: internal to staff, mails nothing. */
export async function setEvaluation(
  trx: Trx, actor: StaffActor, number: number, input: Evaluation, now: Date,
): Promise<VerbResult<{ ticket: Ticket; changed: boolean }>> {
  const found = await load(trx, number);
  if (!found.ok) return found;
  return { ok: true, ...(await evaluate(trx, actor, found.ticket, input, now)) };
}

/** Writes the evaluation fields that differ, with an event each. */
async function evaluate(trx: Trx, actor: StaffActor, ticket: Ticket, input: Evaluation, now: Date): Promise<{ ticket: Ticket; changed: boolean }> {
  const fields = (['urgency', 'impact', 'cost_estimate'] as const).filter((k) => input[k] !== undefined && input[k] !== ticket[k]);
  if (!fields.length) return { ticket, changed: false };
  const updated = await trx
    .updateTable('ticket')
    .set(Object.fromEntries(fields.map((k) => [k, input[k] ?? null])))
    .where('id', '=', ticket.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const k of fields) await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'changed', field: k, from: ticket[k], to: input[k] ?? null }, now);
  return { ticket: updated, changed: true };
}

export interface TicketForClient {
  reporter: string;
  reporterName?: string;
  summary: string;
  description: string;
  type?: TicketType;
  priority?: Priority;
  visibility?: Visibility;
  /** A project key. */
  project?: string;
}

/** A ticket staff open on a client's behalf (seed 000); the client gets the usual acknowledgement. */
export async function openForClient(
  trx: Trx, deps: StaffVerbDeps, actor: StaffActor, input: TicketForClient, now: Date,
): Promise<VerbResult<{ ticket: Ticket }>> {
  const project = await projectByKey(trx, input.project);
  if (!project.ok) return project;
  const reporter = await contactForStaff(trx, input.reporter, input.reporterName ?? '', now);
  if (reporter.state === 'blocked' || reporter.state === 'refused') return refuse('refused', `${reporter.email} is ${reporter.state}`);
  const { ticket } = await openTicket(trx, {
    reporter,
    actor: actor.id,
    summary: input.summary,
    language: deps.language,
    watchers: [],
    first: {
      kind: 'reply', authorContactId: null, authorStaffId: actor.staffId, authorEmail: null,
      text: input.description, fullText: input.description, html: null, messageId: null, inboundMessageId: null, attachments: [],
    },
    fields: { type: input.type, priority: input.priority, visibility: input.visibility, projectId: project.id },
  }, now);
  // Staff opened it: their acknowledgement is no automatic answer, and never withheld by the budget.
  await deps.notices.opened(trx, { ticket, reporter, answering: null, unknownTag: null, fallbacks: [], cause: 'staff' }, now);
  return { ok: true, ticket };
}

export interface Announcement {
  /** An organisation's name, or a project's key: one of them. */
  organisation?: string;
  project?: string;
  summary: string;
  message: string;
  startsAt: Date;
  endsAt?: Date;
  priority?: Priority;
}

/**
 * A maintenance ticket announcing an intervention to every active contact of an organisation or a
 * project: one mail per person, never a shared recipient list.
 */
export async function announceMaintenance(
  trx: Trx, deps: StaffVerbDeps, actor: StaffActor, input: Announcement, now: Date,
): Promise<VerbResult<{ ticket: Ticket; recipients: number }>> {
  if (Boolean(input.organisation) === Boolean(input.project)) return refuse('invalid', 'name an organisation or a project (one of them)');
  const organisation = input.organisation
    ? await trx.selectFrom('organisation').select(['id', 'name']).where('name', '=', input.organisation).executeTakeFirst()
    : undefined;
  if (input.organisation && !organisation) return refuse('invalid', `no organisation ${input.organisation}`);
  const project = await projectByKey(trx, input.project);
  if (!project.ok) return project;
  let q = trx.selectFrom('contact').select(['contact.email']).where('contact.state', '=', 'active');
  if (organisation) q = q.where('contact.organisation_id', '=', organisation.id);
  if (project.id !== null) {
    q = q.where('contact.organisation_id', 'in', trx.selectFrom('organisation_project').select('organisation_id').where('project_id', '=', project.id));
  }
  const watchers = (await q.orderBy('contact.email').execute()).map((r) => r.email);
  const { ticket } = await openTicket(trx, {
    reporter: null,
    actor: actor.id,
    organisationId: organisation?.id ?? null,
    summary: input.summary,
    language: deps.language,
    watchers,
    first: {
      kind: 'reply', authorContactId: null, authorStaffId: actor.staffId, authorEmail: null,
      text: input.message, fullText: input.message, html: null, messageId: null, inboundMessageId: null, attachments: [],
    },
    fields: { type: 'maintenance', priority: input.priority, visibility: 'public', projectId: project.id },
  }, now);
  const recipients = await deps.notices.announced(trx, {
    ticket, message: input.message, startsAt: input.startsAt, endsAt: input.endsAt, organisation: organisation?.name, authorName: actor.name,
  }, now);
  return { ok: true, ticket, recipients };
}
