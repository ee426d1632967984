// Stage "identify": who wrote this. The sender's lower-cased address is the contact's identity; a
// first mail creates the contact. Staff are recognised by their address so their mail is theirs.
import type { Transaction } from 'kysely';
import type { Contact, Database } from '../db/schema.ts';
import type { Address } from './types.ts';

export interface Sender {
  contact: Contact;
  staffId: number | null;
  created: boolean;
}

export async function identifySender(trx: Transaction<Database>, from: Address, now: Date): Promise<Sender> {
  const email = from.address.toLowerCase();
  const staff = await trx
    .selectFrom('staff')
    .select('id')
    .where('email', '=', email)
    .where('active', '=', 1)
    .executeTakeFirst();
  const existing = await trx.selectFrom('contact').selectAll().where('email', '=', email).executeTakeFirst();
  if (existing) {
    if (!existing.name && from.name) {
      await trx.updateTable('contact').set({ name: from.name }).where('id', '=', existing.id).execute();
      existing.name = from.name;
    }
    return { contact: existing, staffId: staff?.id ?? null, created: false };
  }
  const contact = await trx
    .insertInto('contact')
    .values({ email, name: from.name, organisation_id: null, state: 'active', created_at: now.toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { contact, staffId: staff?.id ?? null, created: true };
}
