// Who in the To and Cc of a first mail becomes a watcher of its ticket: never a blocked or refused
// contact, only members of the reporter's organisation (or, by config, anyone), and at most a few:
// one mail with 300 addresses in Cc must not make Guichet mail 300 people. A watcher without a
// contact row gets one, by the same rules as a sender, so a stranger in a `hold` installation stays
// pending — hears nothing and may not write — until staff validate the address.
import type { Contact, Trx } from '../db/schema.ts';
import { newcomers, type UnknownSenders } from './identify.ts';

export interface WatcherPolicy {
  watchers: 'organisation' | 'any';
  maxWatchers: number;
  unknownSenders: UnknownSenders;
}

/** The watchers to record, in the order the mail names them; contacts made for the new ones. */
export async function admitWatchers(trx: Trx, named: string[], reporter: Contact, policy: WatcherPolicy, now: Date): Promise<string[]> {
  const candidates = [...new Set(named.map((e) => e.toLowerCase()))].filter((e) => e !== reporter.email);
  if (!candidates.length || policy.maxWatchers === 0) return [];
  const known = await trx.selectFrom('contact').selectAll().where('email', 'in', candidates).execute();
  const placing = await newcomers(trx, candidates.filter((e) => !known.some((c) => c.email === e)), policy);
  const kept: Array<{ email: string; contact?: Contact; placed?: ReturnType<typeof placing.get> }> = [];
  for (const email of candidates) {
    if (kept.length >= policy.maxWatchers) break;
    const contact = known.find((c) => c.email === email);
    if (contact && (contact.state === 'blocked' || contact.state === 'refused')) continue;
    const placed = contact ? undefined : placing.get(email);
    const organisationId = contact ? contact.organisation_id : placed!.organisationId;
    if (policy.watchers === 'organisation' && (reporter.organisation_id === null || organisationId !== reporter.organisation_id)) continue;
    kept.push({ email, contact, placed });
  }
  for (const w of kept) {
    if (w.contact) continue;
    await trx
      .insertInto('contact')
      .values({ email: w.email, name: '', organisation_id: w.placed!.organisationId, state: w.placed!.state, created_at: now.toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return kept.map((w) => w.email);
}
