// Who sees what: the one home of the rule every door applies (the admin's pages, the JSON API), so a
// ticket, a contact or a mail outside the caller's rights answers as if it did not exist (404),
// never "forbidden", which would tell that it does.
//
// - Admins, and the integration token, see everything.
// - An agent sees the tickets of the projects they belong to (project_staff), plus the tickets of no
//   project: the shared inbox, which every agent triages.
// - An agent who belongs to no project sees everything: a small team that never set projects up
//   keeps working as before; putting someone on a project is what narrows their view.
// - A contact is seen when one of the tickets it reported is seen, or when it reported none (a
//   pending account, someone whose mail was held); inbound mail and notifications likewise follow
//   their ticket, and those of no ticket (the quarantine of unknown senders) are everyone's.
import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/schema.ts';

/** The caller whose rights are asked: a staff member (session or own token) or the integration token. */
export interface Viewer {
  staffId: number | null;
  role: 'admin' | 'agent' | 'integration';
}

/** Every ticket, or the tickets of these projects (null: the tickets of no project). */
export type Scope = 'all' | ReadonlyArray<number | null>;

export async function visibleProjects(db: Kysely<Database>, viewer: Viewer): Promise<Scope> {
  if (viewer.role !== 'agent' || viewer.staffId === null) return 'all';
  const rows = await db.selectFrom('project_staff').select('project_id').where('staff_id', '=', viewer.staffId).orderBy('project_id').execute();
  if (!rows.length) return 'all';
  return [...rows.map((r) => r.project_id), null];
}

/** `column` (a ticket's project) within the scope's projects; for a list of projects only. */
function projectIn(scope: ReadonlyArray<number | null>, column: string): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  const ids = scope.filter((p): p is number => p !== null);
  const none = scope.includes(null);
  if (!ids.length) return none ? sql<SqlBool>`${ref} is null` : sql<SqlBool>`1 = 0`;
  const listed = sql<SqlBool>`${ref} in (${sql.join(ids)})`;
  return none ? sql<SqlBool>`(${listed} or ${ref} is null)` : listed;
}

/** The where-clause that keeps a ticket row (the `ticket` table, or an alias of it) within the scope; `true` for 'all'. */
export function ticketInScope(scope: Scope, table = 'ticket'): Expression<SqlBool> {
  return scope === 'all' ? sql<SqlBool>`1 = 1` : projectIn(scope, `${table}.project_id`);
}

type Filterable<Q> = { where(expression: Expression<SqlBool>): Q };

/** A query on tickets, kept to the scope; unchanged for 'all', so the fast paths of an admin's queries stay as they are. */
export function scopeTickets<Q extends Filterable<Q>>(query: Q, scope: Scope, table = 'ticket'): Q {
  return scope === 'all' ? query : query.where(projectIn(scope, `${table}.project_id`));
}

/** A query on contacts: those that reported a ticket in scope, or no ticket at all. */
export function scopeContacts<Q extends Filterable<Q>>(query: Q, scope: Scope): Q {
  if (scope === 'all') return query;
  return query.where(sql<SqlBool>`(not exists (select 1 from ticket rt where rt.reporter_id = contact.id)
    or exists (select 1 from ticket rt where rt.reporter_id = contact.id and ${projectIn(scope, 'rt.project_id')}))`);
}

/** A query on inbound mail or notifications: those of a ticket in scope, or of no ticket. */
export function scopeMail<Q extends Filterable<Q>>(query: Q, scope: Scope, table: 'inbound_message' | 'outbox'): Q {
  if (scope === 'all') return query;
  const ticketId = sql.ref(`${table}.ticket_id`);
  return query.where(sql<SqlBool>`(${ticketId} is null
    or exists (select 1 from ticket mt where mt.id = ${ticketId} and ${projectIn(scope, 'mt.project_id')}))`);
}

/** The ticket numbered `number` when the scope sees it; null when it does not exist or is outside (both a 404). */
export async function visibleTicket(db: Kysely<Database>, scope: Scope, number: number): Promise<{ id: number; project_id: number | null } | null> {
  const row = await scopeTickets(db.selectFrom('ticket').select(['id', 'project_id']).where('number', '=', number), scope).executeTakeFirst();
  return row ?? null;
}

export async function visibleContact(db: Kysely<Database>, scope: Scope, email: string): Promise<{ id: number } | null> {
  const row = await scopeContacts(db.selectFrom('contact').select('contact.id').where('contact.email', '=', email.trim().toLowerCase()), scope).executeTakeFirst();
  return row ?? null;
}

export async function visibleMail(db: Kysely<Database>, scope: Scope, table: 'inbound_message' | 'outbox', id: number): Promise<boolean> {
  const query = table === 'inbound_message'
    ? scopeMail(db.selectFrom('inbound_message').select('inbound_message.id').where('inbound_message.id', '=', id), scope, table)
    : scopeMail(db.selectFrom('outbox').select('outbox.id').where('outbox.id', '=', id), scope, table);
  return (await query.executeTakeFirst()) !== undefined;
}

// Saved replies and organisations follow projects too. A saved reply of one project is seen (and
// used, and edited) by whoever sees that project; one for all projects (project_id null) is offered
// to everyone, but only admins change it, since it speaks for every team at once. An organisation is
// seen when it may use one of the projects the scope sees (organisation_project); one tied to none
// is then the admins' alone, like the setup pages where organisations are managed.

/** Whether the scope sees the project `id` (an existing project is the caller's to check). */
export const projectVisible = (scope: Scope, id: number): boolean => scope === 'all' || scope.includes(id);

/** A query on saved replies: those of a project in scope, and those for all projects. */
export function scopeSavedReplies<Q extends Filterable<Q>>(query: Q, scope: Scope): Q {
  if (scope === 'all') return query;
  const ids = scope.filter((p): p is number => p !== null);
  return query.where(ids.length ? sql<SqlBool>`(saved_reply.project_id is null or saved_reply.project_id in (${sql.join(ids)}))` : sql<SqlBool>`saved_reply.project_id is null`);
}

/** A saved reply the scope sees, with its project; null when it does not exist or is outside (both a 404). */
export async function visibleSavedReply(db: Kysely<Database>, scope: Scope, id: number): Promise<{ id: number; project_id: number | null; title: string; body: string } | null> {
  const row = await scopeSavedReplies(db.selectFrom('saved_reply').select(['saved_reply.id', 'saved_reply.project_id', 'saved_reply.title', 'saved_reply.body']).where('saved_reply.id', '=', id), scope).executeTakeFirst();
  return row ?? null;
}

/** Who may change a saved reply they see: its project's staff; one for all projects, admins only. */
export const mayEditSavedReply = (viewer: Viewer, reply: { project_id: number | null }): boolean =>
  viewer.role !== 'agent' || reply.project_id !== null;

/** A query on organisations (the `organisation` table): those that may use a project in scope. */
export function scopeOrganisations<Q extends Filterable<Q>>(query: Q, scope: Scope): Q {
  if (scope === 'all') return query;
  const ids = scope.filter((p): p is number => p !== null);
  if (!ids.length) return query.where(sql<SqlBool>`1 = 0`);
  return query.where(sql<SqlBool>`exists (select 1 from organisation_project op where op.organisation_id = organisation.id and op.project_id in (${sql.join(ids)}))`);
}

export async function visibleOrganisation(db: Kysely<Database>, scope: Scope, id: number): Promise<{ id: number } | null> {
  const row = await scopeOrganisations(db.selectFrom('organisation').select('organisation.id').where('organisation.id', '=', id), scope).executeTakeFirst();
  return row ?? null;
}

/** A list of projects as its two parts: the projects by id, and whether the shared inbox (no project) is in. */
export function scopeParts(scope: ReadonlyArray<number | null>): { projects: number[]; sharedInbox: boolean } {
  return { projects: scope.filter((p): p is number => p !== null), sharedInbox: scope.includes(null) };
}
