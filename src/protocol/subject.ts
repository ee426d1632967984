// Guichet's email protocol, the subject: every mail about a ticket carries its tag (`[#123]`, or
// `[ACME #123]` with a prefix), and a reply finds its ticket by that tag after any chain of reply
// and forward prefixes. The tag is the one rule both sides of the mail share, so it lives here alone.

// Reply and forward prefixes in the languages clients write in. Outlook localises them
// (AW/WG German, SV Nordic, RV/RE Spanish, TR French, Réf/Ref, Antw Dutch, Odp/PD Polish,
// VS Finnish, ΑΠ/ΣΧΕΤ Greek), some clients number them ("Re[2]:", "Re(3):").
const PREFIX = String.raw`(?:re|aw|sv|vs|antw|odp|wg|fw|fwd|tr|rv|enc|réf|ref|ynt|ilt|pd|doorst|atb|r|i|απ|σχετ|отв|отв\.|回复|回覆|答复|転送|fw\.)`;
const PREFIX_CHAIN = new RegExp(String.raw`^(?:\s*(?:\[[^\]]*\]\s*)?${PREFIX}\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+`, 'iu');

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tagPattern(prefix: string, flags: string): RegExp {
  const p = prefix ? `${escapeRegExp(prefix)}\\s*` : '';
  return new RegExp(String.raw`\[\s*${p}#\s*(\d{1,9})\s*\]`, flags);
}

/** The tag Guichet puts in every subject it sends: `[#123]` or `[ACME #123]`. */
export function formatTag(number: number, prefix = ''): string {
  return prefix ? `[${prefix} #${number}]` : `[#${number}]`;
}

/** The subject of every notification about a ticket, so mail programs that thread by subject keep one conversation. */
export function ticketSubject(number: number, summary: string, prefix = ''): string {
  return `${formatTag(number, prefix)} ${summary}`;
}

/**
 * The ticket number tagged in a subject. The tag may stand anywhere (clients and their mail
 * programs prepend, append and rewrap), but a bare `#123` outside brackets is free text, never a tag.
 */
export function findSubjectTag(subject: string, prefix = ''): number | null {
  const m = tagPattern(prefix, 'iu').exec(subject);
  return m ? Number(m[1]) : null;
}

/** The subject without reply/forward prefixes and without our tag: what a new ticket is called. */
export function cleanSubject(subject: string, prefix = ''): string {
  const s = subject.replace(tagPattern(prefix, 'giu'), ' ').replace(/\s+/g, ' ').trim();
  return s.replace(PREFIX_CHAIN, '').trim();
}
