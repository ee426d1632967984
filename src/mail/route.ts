// Stage "route": decides which ticket a message belongs to. The decision is pure; the lookups it
// needs (does ticket N exist, which ticket owns these Message-IDs) are passed in by the caller.

// Reply and forward prefixes in the languages clients write in. Outlook localises them
// (AW/WG German, SV Nordic, RV/RE Spanish, TR French, Réf/Ref, Antw Dutch, Odp/PD Polish,
// VS Finnish, ΑΠ/ΣΧΕΤ Greek), some clients number them ("Re[2]:", "Re(3):").
const PREFIX = String.raw`(?:re|aw|sv|vs|antw|odp|wg|fw|fwd|tr|rv|enc|réf|ref|ynt|ilt|pd|doorst|atb|r|i|απ|σχετ|отв|отв\.|回复|回覆|答复|転送|fw\.)`;
const PREFIX_CHAIN = new RegExp(String.raw`^(?:\s*(?:\[[^\]]*\]\s*)?${PREFIX}\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+`, 'iu');

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The ticket number tagged in a subject: `[#123]`, or `[PREFIX #123]` when a prefix is configured.
 * The tag may stand anywhere (clients and their mail programs prepend, append and rewrap), but a
 * bare `#123` outside brackets is free text, never a tag.
 */
export function findSubjectTag(subject: string, prefix = ''): number | null {
  const p = prefix ? `${escapeRegExp(prefix)}\\s*` : '';
  const re = new RegExp(String.raw`\[\s*${p}#\s*(\d{1,9})\s*\]`, 'iu');
  const m = re.exec(subject);
  return m ? Number(m[1]) : null;
}

/** The subject without reply/forward prefixes and without our tag: what a new ticket is called. */
export function cleanSubject(subject: string, prefix = ''): string {
  const p = prefix ? `${escapeRegExp(prefix)}\\s*` : '';
  const tag = new RegExp(String.raw`\[\s*${p}#\s*\d{1,9}\s*\]`, 'giu');
  let s = subject.replace(tag, ' ').replace(/\s+/g, ' ').trim();
  s = s.replace(PREFIX_CHAIN, '').trim();
  return s;
}

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

/** The tag Guichet puts in every subject it sends: `[#123]` or `[ACME #123]`. */
export function formatTag(number: number, prefix = ''): string {
  return prefix ? `[${prefix} #${number}]` : `[#${number}]`;
}
