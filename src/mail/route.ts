// Stage "route": which ticket a message belongs to. The decision is pure; the lookups it needs
// (does ticket N exist, which ticket owns these Message-IDs) are passed in by the caller.
import { findSubjectTag } from '../protocol/subject.ts';

export interface RouteInput {
  /** The ticket a valid reply token names (reply-token.ts): it wins over everything else. */
  tokenTicket: number | null;
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
  | { kind: 'reply'; number: number; via: 'token' | 'subject' | 'headers' }
  | { kind: 'new'; unknownTag: number | null };

export async function routeMessage(mail: RouteInput, lookups: RouteLookups, prefix = ''): Promise<Route> {
  if (mail.tokenTicket !== null && (await lookups.ticketExists(mail.tokenTicket))) {
    return { kind: 'reply', number: mail.tokenTicket, via: 'token' };
  }
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
