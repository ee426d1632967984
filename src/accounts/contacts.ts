// Staff decisions on client accounts (seed 000/002: accounts are validated before they file
// tickets), and every other write to a contact: accounts/ is the only writer of the contact table.
// Validating a contact releases its held mail as tickets, oldest first; refusing tells the sender
// once and keeps the mail held (never dropped); blocking silences the address.
import type { Kysely } from 'kysely';
import type { Contact, ContactState, Database, Language, Trx } from '../db/schema.ts';
import { domainOf } from '../protocol/addresses.ts';
import type { AccountNotices } from './notices.ts';

export class ContactError extends Error {}

/** Runs a held message through the intake again; the intake implements it. */
export interface HeldMail<R> {
  replay(inboundId: number): Promise<R>;
}

async function findContact(db: Kysely<Database>, email: string): Promise<Contact> {
  const contact = await db.selectFrom('contact').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  if (!contact) throw new ContactError(`no contact ${email}`);
  return contact;
}

export async function listContacts(db: Kysely<Database>, state?: ContactState) {
  return db
    .selectFrom('contact')
    .leftJoin('organisation', 'organisation.id', 'contact.organisation_id')
    .select((eb) => [
      'contact.email', 'contact.name', 'contact.state', 'contact.bounce_reason', 'contact.created_at', 'organisation.name as organisation',
      eb.selectFrom('inbound_message').select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('inbound_message.contact_id', '=', 'contact.id').where('inbound_message.state', '=', 'held').as('held'),
    ])
    .$if(Boolean(state), (q) => q.where('contact.state', '=', state!))
    .orderBy('contact.created_at')
    .execute();
}

/** Activates the contact, then replays its held mail in arrival order. */
export async function validateContact<R>(db: Kysely<Database>, held: HeldMail<R>, email: string): Promise<R[]> {
  const contact = await findContact(db, email);
  if (contact.state === 'active') throw new ContactError(`${contact.email} is already active`);
  await db.updateTable('contact').set({ state: 'active' }).where('id', '=', contact.id).execute();
  const rows = await db
    .selectFrom('inbound_message')
    .select('id')
    .where('contact_id', '=', contact.id)
    .where('state', '=', 'held')
    .orderBy('id')
    .execute();
  const results: R[] = [];
  for (const row of rows) results.push(await held.replay(row.id));
  return results;
}

/** Refuses a pending contact and tells them once; their mail stays held, visible to staff. */
export async function refuseContact(
  db: Kysely<Database>,
  notices: AccountNotices,
  email: string,
  now: Date,
  message?: string,
): Promise<void> {
  const contact = await findContact(db, email);
  if (contact.state !== 'pending') throw new ContactError(`${contact.email} is ${contact.state}, not pending`);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('contact').set({ state: 'refused' }).where('id', '=', contact.id).execute();
    const last = await trx
      .selectFrom('inbound_message')
      .select('message_id')
      .where('contact_id', '=', contact.id)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    await notices.accountRefused(trx, contact, { message, answering: last?.message_id ?? null }, now);
  });
}

export async function setContactLanguage(db: Kysely<Database>, email: string, language: Language): Promise<void> {
  const contact = await findContact(db, email);
  await db.updateTable('contact').set({ language }).where('id', '=', contact.id).execute();
}

export async function blockContact(db: Kysely<Database>, email: string): Promise<void> {
  const contact = await findContact(db, email);
  await db.updateTable('contact').set({ state: 'blocked' }).where('id', '=', contact.id).execute();
}

/**
 * A pending contact's first held mail: they are told once that their account awaits validation.
 * Resolves true when the notice was queued now.
 */
export async function tellPending(trx: Trx, notices: AccountNotices, contact: Contact, e: { originalSubject: string; answering: string }, now: Date): Promise<boolean> {
  if (contact.state !== 'pending' || contact.notified_at) return false;
  await notices.accountPending(trx, contact, e, now);
  await trx.updateTable('contact').set({ notified_at: now.toISOString() }).where('id', '=', contact.id).execute();
  return true;
}

/** The client staff open a ticket for: staff vouch for them, so a new contact is active at once. */
export async function contactForStaff(trx: Trx, email: string, name: string, now: Date): Promise<Contact> {
  const address = email.trim().toLowerCase();
  const existing = await trx.selectFrom('contact').selectAll().where('email', '=', address).executeTakeFirst();
  if (existing) return existing;
  const org = await trx.selectFrom('organisation_domain').select('organisation_id').where('domain', '=', domainOf(address)).executeTakeFirst();
  return trx
    .insertInto('contact')
    .values({ email: address, name, organisation_id: org?.organisation_id ?? null, state: 'active', created_at: now.toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A permanent bounce of our mail: no notification goes to these addresses until their owners write again. */
export async function markBouncing(trx: Trx, emails: string[], reason: string, now: Date): Promise<void> {
  if (!emails.length) return;
  await trx.updateTable('contact').set({ bounced_at: now.toISOString(), bounce_reason: reason }).where('email', 'in', emails).execute();
}

/** Staff lift the bounce mark (`guichet outbox retry --clear-bounce`): these addresses get mail again. */
export async function clearBouncing(trx: Trx, emails: string[]): Promise<void> {
  if (!emails.length) return;
  await trx.updateTable('contact').set({ bounced_at: null, bounce_reason: null }).where('email', 'in', emails).execute();
}
