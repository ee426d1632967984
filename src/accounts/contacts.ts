// Staff decisions on client accounts (seed 000/002: accounts are validated before they file
// tickets). Validating a contact releases its held mail as tickets, oldest first; refusing tells
// the sender once and keeps the mail held (never dropped); blocking silences the address.
import type { Kysely } from 'kysely';
import type { Contact, ContactState, Database } from '../db/schema.ts';
import type { Intake, IntakeResult } from '../mail/intake.ts';
import type { Notifier } from '../notify/notifier.ts';

export class ContactError extends Error {}

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
export async function validateContact(db: Kysely<Database>, intake: Intake, email: string): Promise<IntakeResult[]> {
  const contact = await findContact(db, email);
  if (contact.state === 'active') throw new ContactError(`${contact.email} is already active`);
  await db.updateTable('contact').set({ state: 'active' }).where('id', '=', contact.id).execute();
  const held = await db
    .selectFrom('inbound_message')
    .select('id')
    .where('contact_id', '=', contact.id)
    .where('state', '=', 'held')
    .orderBy('id')
    .execute();
  const results: IntakeResult[] = [];
  for (const row of held) results.push(await intake.replay(row.id));
  return results;
}

/** Refuses a pending contact and tells them once; their mail stays held, visible to staff. */
export async function refuseContact(
  db: Kysely<Database>,
  notifier: Notifier,
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
    await notifier.toContact(trx, contact, 'account-refused', { email: contact.email, contactName: contact.name || undefined, message }, last?.message_id ?? null, now);
  });
}

export async function setContactLanguage(db: Kysely<Database>, email: string, language: 'en' | 'fr'): Promise<void> {
  const contact = await findContact(db, email);
  await db.updateTable('contact').set({ language }).where('id', '=', contact.id).execute();
}

export async function blockContact(db: Kysely<Database>, email: string): Promise<void> {
  const contact = await findContact(db, email);
  await db.updateTable('contact').set({ state: 'blocked' }).where('id', '=', contact.id).execute();
}
