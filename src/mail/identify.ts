// Stage "identify": who wrote this, and may they open tickets yet. The sender's lower-cased address
// is the contact's identity; a first mail creates the contact. An address whose domain belongs to an
// organisation joins it (active, or pending when the organisation validates its members); any
// other address is pending until staff validate it, unless the installation accepts unknown senders.
// Staff are recognised by their address so their mail is theirs.
import type { Transaction } from 'kysely';
import type { Contact, ContactState, Database } from '../db/schema.ts';
import type { Address } from './types.ts';

export type UnknownSenders = 'hold' | 'accept';

export interface Sender {
  contact: Contact;
  staffId: number | null;
  created: boolean;
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * The language a first mail declares (Content-Language, or the Accept-Language Outlook and
 * Thunderbird write), when it is one Guichet speaks; otherwise the installation's default applies.
 */
export function declaredLanguage(headers: Record<string, string>): 'en' | 'fr' | null {
  for (const name of ['content-language', 'accept-language']) {
    const first = headers[name]?.split(/[,;]/)[0]?.trim().toLowerCase() ?? '';
    if (first.startsWith('fr')) return 'fr';
    if (first.startsWith('en')) return 'en';
  }
  return null;
}

export async function identifySender(
  trx: Transaction<Database>,
  from: Address,
  now: Date,
  policy: { unknownSenders: UnknownSenders } = { unknownSenders: 'accept' },
  headers: Record<string, string> = {},
): Promise<Sender> {
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
    // A person writing from the address shows that its mailbox works again.
    if (existing.bounced_at) {
      await trx.updateTable('contact').set({ bounced_at: null, bounce_reason: null }).where('id', '=', existing.id).execute();
      existing.bounced_at = null;
      existing.bounce_reason = null;
    }
    return { contact: existing, staffId: staff?.id ?? null, created: false };
  }
  const organisation = await trx
    .selectFrom('organisation_domain')
    .innerJoin('organisation', 'organisation.id', 'organisation_domain.organisation_id')
    .select(['organisation.id', 'organisation.requires_validation'])
    .where('organisation_domain.domain', '=', domainOf(email))
    .executeTakeFirst();
  const state: ContactState = staff
    ? 'active'
    : organisation
      ? organisation.requires_validation ? 'pending' : 'active'
      : policy.unknownSenders === 'accept' ? 'active' : 'pending';
  const contact = await trx
    .insertInto('contact')
    .values({ email, name: from.name, organisation_id: organisation?.id ?? null, state, language: declaredLanguage(headers), created_at: now.toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { contact, staffId: staff?.id ?? null, created: true };
}
