// Guichet's email protocol, the loop header: every mail Guichet sends names its installation in
// `X-Guichet-Loop`, so a copy that comes back — forwarded by a rule, resent by a responder that keeps
// the headers, with a Message-ID rewritten on the way — is still recognised as our own and never
// answered. It names the support domain, so another Guichet's mail is not mistaken for ours.

/** The header's name as written on outbound mail. */
export const LOOP_HEADER = 'X-Guichet-Loop';

/** The value this installation writes: its support domain, lower-cased. */
export function loopHeaderValue(domain: string): string {
  return domain.trim().toLowerCase();
}

/**
 * Whether these headers (lower-cased names → values, a repeated header's values joined with ", ")
 * carry our loop header for `domain`. Relays may add whitespace, angle brackets or a trailing dot;
 * any one of several values naming us is enough, since a mail can cross several installations.
 */
export function carriesOurLoopHeader(headers: Record<string, string>, domain: string): boolean {
  const value = headers[LOOP_HEADER.toLowerCase()];
  if (!value) return false;
  const ours = loopHeaderValue(domain);
  if (!ours) return false;
  return value
    .split(',')
    .map((v) => v.trim().replace(/^<(.*)>$/, '$1').trim().replace(/\.$/, '').toLowerCase())
    .some((v) => v === ours);
}
