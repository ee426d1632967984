// Stage "route": which ticket a message belongs to. The decision is pure; the lookups it needs
// (does ticket N exist, which ticket owns these Message-IDs) are passed in by the caller.
import { findSubjectTag } from '../protocol/subject.ts';

export interface RouteInput {
  subject: string;
  inReplyTo: string[];
  references: string[];
}

export interface RouteLookups {
  ticketExists(number: number): Promise<boolean>;
  /** The ticket number owning any of these Message-IDs, newest reference first. */
  ticketForMessageIds(ids: string[]): Promise<number | null>;
}

export type Route =
  | { kind: 'reply'; number: number; via: 'subject' | 'headers' }
  | { kind: 'new'; unknownTag: number | null };

export async function routeMessage(mail: RouteInput, lookups: RouteLookups, prefix = ''): Promise<Route> {
  const tagged = findSubjectTag(mail.subject, prefix);
  if (tagged !== null && (await lookups.ticketExists(tagged))) {
    return { kind: 'reply', number: tagged, via: 'subject' };
  }
  // In-Reply-To is the most precise; References lists the thread oldest first, so read it backwards.
  const ids = [...mail.inReplyTo, ...[...mail.references].reverse()];
  if (ids.length) {
    const owner = await lookups.ticketForMessageIds(ids);
    if (owner !== null) return { kind: 'reply', number: owner, via: 'headers' };
  }
  return { kind: 'new', unknownTag: tagged };
}
