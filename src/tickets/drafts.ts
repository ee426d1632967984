// What staff have not sent yet: a draft per staff member and ticket, saved as they type and cleared
// when the answer is sent; and saved replies, the answers given every day, per project or for all,
// with the client's name and the ticket number filled in when one is used.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { scopeSavedReplies, type Scope } from './rights.ts';

export const MAX_DRAFT = 100_000;

/** Saves (or, empty, forgets) a staff member's draft on a ticket. */
export async function saveDraft(db: Kysely<Database>, d: { ticketId: number; staffId: number; text: string }, now: Date): Promise<void> {
  const text = d.text.slice(0, MAX_DRAFT);
  if (!text.trim()) {
    await clearDraft(db, d.ticketId, d.staffId);
    return;
  }
  await db
    .insertInto('draft')
    .values({ ticket_id: d.ticketId, staff_id: d.staffId, text, updated_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['ticket_id', 'staff_id']).doUpdateSet({ text, updated_at: now.toISOString() }))
    .execute();
}

export async function draftOf(db: Kysely<Database>, ticketId: number, staffId: number): Promise<string | null> {
  const row = await db.selectFrom('draft').select('text').where('ticket_id', '=', ticketId).where('staff_id', '=', staffId).executeTakeFirst();
  return row?.text ?? null;
}

export async function clearDraft(db: Kysely<Database>, ticketId: number, staffId: number): Promise<void> {
  await db.deleteFrom('draft').where('ticket_id', '=', ticketId).where('staff_id', '=', staffId).execute();
}

/** The saved replies offered on a ticket of this project: its own and those for every project. */
export function savedRepliesFor(db: Kysely<Database>, projectId: number | null) {
  return db
    .selectFrom('saved_reply')
    .leftJoin('project', 'project.id', 'saved_reply.project_id')
    .select(['saved_reply.id', 'saved_reply.title', 'saved_reply.body', 'saved_reply.project_id', 'project.name as project'])
    .where((eb) => (projectId === null ? eb('saved_reply.project_id', 'is', null) : eb.or([eb('saved_reply.project_id', 'is', null), eb('saved_reply.project_id', '=', projectId)])))
    .orderBy('saved_reply.title')
    .execute();
}

/** Every saved reply the scope sees (tickets/rights.ts): its projects' and those for all projects. */
export function allSavedReplies(db: Kysely<Database>, scope: Scope = 'all') {
  return scopeSavedReplies(db
    .selectFrom('saved_reply')
    .leftJoin('project', 'project.id', 'saved_reply.project_id')
    .select(['saved_reply.id', 'saved_reply.title', 'saved_reply.body', 'saved_reply.project_id', 'project.name as project']), scope)
    .orderBy('saved_reply.title')
    .orderBy('saved_reply.id')
    .execute();
}

export async function addSavedReply(db: Kysely<Database>, r: { projectId: number | null; title: string; body: string }, now: Date): Promise<void> {
  await db.insertInto('saved_reply').values({ project_id: r.projectId, title: r.title, body: r.body, created_at: now.toISOString() }).execute();
}

export async function updateSavedReply(db: Kysely<Database>, id: number, r: { projectId: number | null; title: string; body: string }): Promise<void> {
  await db.updateTable('saved_reply').set({ project_id: r.projectId, title: r.title, body: r.body }).where('id', '=', id).execute();
}

export async function deleteSavedReply(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('saved_reply').where('id', '=', id).execute();
}

/** A saved reply made for one ticket: `{{name}}` is the client's name (or nothing), `{{number}}` the ticket's. */
export function fillSavedReply(body: string, v: { name: string | null; number: number }): string {
  // "Hello {{name}}," with no name reads "Hello,": the space before the name goes with it.
  const named = v.name ? body.replace(/\{\{\s*name\s*\}\}/g, v.name) : body.replace(/ ?\{\{\s*name\s*\}\}/g, '');
  return named.replace(/\{\{\s*number\s*\}\}/g, String(v.number));
}
