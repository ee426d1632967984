// Who wrote this, and may they open tickets yet. The sender's lower-cased address is the contact's
// identity. Looking up is read-only, so the intake can decide before it writes anything; admitting
// makes the contact row (or refreshes it) once a disposition needs one. An address whose domain
// belongs to an organisation joins it (active, or pending when the organisation validates its
// members); any other address is pending until staff validate it, unless the installation accepts
// unknown senders. Staff are recognised by their address so their mail is theirs.
import type { Contact, ContactState, Language, Trx } from '../db/schema.ts';
import { domainOf } from '../protocol/addresses.ts';

export type UnknownSenders = 'hold' | 'accept';

/** A sender as the database knows it, before anything is written. */
export interface Sender {
  email: string;
  name: string;
  staffId: number | null;
  /** The contact row, when the address wrote before (or staff opened a ticket for it). */
  contact: Contact | null;
  /** The contact's state, or the one admitting it would give. */
  state: ContactState;
  organisationId: number | null;
}

/**
 * The language a first mail declares (Content-Language, or the Accept-Language Outlook and
 * Thunderbird write), when it is one Guichet speaks; otherwise the installation's default applies.
 */
export function declaredLanguage(headers: Record<string, string>): Language | null {
  for (const name of ['content-language', 'accept-language']) {
    const first = headers[name]?.split(/[,;]/)[0]?.trim().toLowerCase() ?? '';
    if (first.startsWith('fr')) return 'fr';
    if (first.startsWith('en')) return 'en';
  }
  return null;
}

export async function lookUpSender(
  trx: Trx,
  from: { address: string; name: string },
  policy: { unknownSenders: UnknownSenders },
): Promise<Sender> {
  const email = from.address.toLowerCase();
  const staff = await trx.selectFrom('staff').select('id').where('email', '=', email).where('active', '=', 1).executeTakeFirst();
  const staffId = staff?.id ?? null;
  const contact = await trx.selectFrom('contact').selectAll().where('email', '=', email).executeTakeFirst();
  if (contact) return { email, name: from.name, staffId, contact, state: contact.state, organisationId: contact.organisation_id };
  const placed = await newcomer(trx, email, policy);
  return { email, name: from.name, staffId, contact: null, state: staffId !== null ? 'active' : placed.state, organisationId: placed.organisationId };
}

/**
 * Where an address without a contact row belongs: the organisation owning its domain (active, or
 * pending when the organisation validates its members), else nowhere (pending, unless the
 * installation accepts unknown senders).
 */
export async function newcomer(
  trx: Trx,
  email: string,
  policy: { unknownSenders: UnknownSenders },
): Promise<{ state: ContactState; organisationId: number | null }> {
  return (await newcomers(trx, [email], policy)).get(email)!;
}

/** The same for several addresses, in one query. */
export async function newcomers(
  trx: Trx,
  emails: string[],
  policy: { unknownSenders: UnknownSenders },
): Promise<Map<string, { state: ContactState; organisationId: number | null }>> {
  const domains = [...new Set(emails.map(domainOf))];
  const organisations = domains.length
    ? await trx
        .selectFrom('organisation_domain')
        .innerJoin('organisation', 'organisation.id', 'organisation_domain.organisation_id')
        .select(['organisation_domain.domain', 'organisation.id', 'organisation.requires_validation'])
        .where('organisation_domain.domain', 'in', domains)
        .execute()
    : [];
  const stranger = { state: policy.unknownSenders === 'accept' ? 'active' : 'pending', organisationId: null } as const;
  return new Map(emails.map((email) => {
    const organisation = organisations.find((o) => o.domain === domainOf(email));
    return [email, organisation ? { state: organisation.requires_validation ? 'pending' : 'active', organisationId: organisation.id } : stranger];
  }));
}

/**
 * The sender's contact row: created on a first mail, otherwise given the display name it lacked. A
 * person writing from an address shows that its mailbox works again, which clears a bounce mark.
 */
export async function admitSender(trx: Trx, sender: Sender, headers: Record<string, string>, now: Date): Promise<Contact> {
  const existing = sender.contact;
  if (existing) {
    const name = !existing.name && sender.name ? sender.name : existing.name;
    if (name !== existing.name || existing.bounced_at) {
      await trx.updateTable('contact').set({ name, bounced_at: null, bounce_reason: null }).where('id', '=', existing.id).execute();
    }
    return { ...existing, name, bounced_at: null, bounce_reason: null };
  }
  return trx
    .insertInto('contact')
    .values({
      email: sender.email, name: sender.name, organisation_id: sender.organisationId, state: sender.state,
      language: declaredLanguage(headers), created_at: now.toISOString(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
