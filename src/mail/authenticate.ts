// Stage "authenticate": what evidence a message carries that its From address is genuine. A From
// header is free text that anyone can write; what an outsider cannot forge is the verdict a mail
// server the installation trusts wrote when the message reached it (its Authentication-Results
// header, RFC 8601), or a DKIM signature Guichet verifies itself (dkim.ts). Pure: the caller passes
// the message's trace headers, top first, and the authserv-ids the configuration trusts.
import { domainOf } from '../protocol/addresses.ts';
import type { TraceHeader } from './types.ts';

/** One method's result in an Authentication-Results header: `dkim=pass header.d=example.com`. */
export interface MethodResult {
  method: string;
  result: string;
  props: Record<string, string>;
}

export interface AuthenticationResults {
  authservId: string;
  results: MethodResult[];
}

export type Verdict =
  /** The From domain's owner vouches for the message: DMARC pass, or a DKIM signature aligned with it. */
  | { result: 'pass'; how: string }
  /** The From domain's DMARC policy says the message is not theirs. */
  | { result: 'fail'; how: string }
  | { result: 'none' };

/** Drops RFC 5322 comments (nested, outside quoted strings) and unquotes nothing else. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) {
      depth--;
      out += ' ';
      continue;
    }
    if (depth === 0) out += c;
  }
  return out;
}

const unquote = (v: string) => (v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v);

/** Splits on `;` outside quoted strings. */
function clauses(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}

/** An Authentication-Results header's value; null when it is not one. */
export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  const [head, ...rest] = clauses(withoutComments(value));
  const authservId = head?.split(/\s+/)[0]?.toLowerCase();
  if (!authservId || authservId.includes('=')) return null;
  const results: MethodResult[] = [];
  for (const clause of rest) {
    const tokens = clause.match(/[^\s=]+\s*=\s*(?:"[^"]*"|[^\s"]+)/g) ?? [];
    const [first, ...props] = tokens.map((t) => {
      const eq = t.indexOf('=');
      return [t.slice(0, eq).trim().toLowerCase(), unquote(t.slice(eq + 1).trim())] as const;
    });
    if (!first || first[0] === 'reason') continue;
    results.push({
      method: first[0].split('/')[0]!,
      result: first[1].toLowerCase(),
      props: Object.fromEntries(props.map(([k, v]) => [k, k.startsWith('header.') || k.startsWith('smtp.') ? v.toLowerCase() : v])),
    });
  }
  return { authservId, results };
}

/** `by host` of a Received header, lower-cased; null when it names none. */
function receivedBy(value: string): string | null {
  const m = /(?:^|\s)by\s+([^\s;()]+)/i.exec(withoutComments(value));
  return m ? m[1]!.toLowerCase().replace(/\.$/, '') : null;
}

const hasFromClause = (value: string) => /^\s*from\s/i.test(withoutComments(value));

/**
 * The results the trusted servers wrote. Read top down, the headers stay trustworthy while every
 * Received header above them was stamped by a trusted server (its `by` is a trusted name) or is a
 * hop inside one (no `from` clause); below the first other hop, anything may be the sender's own
 * writing. Within that zone, for each method the topmost trusted result counts: a server that
 * checks a method stamps it above whatever claim of its own name the message arrived with (and
 * RFC 8601 §5 asks it to delete such claims).
 */
export function trustedResults(trace: TraceHeader[], trusted: string[]): Array<MethodResult & { by: string }> {
  const ids = new Set(trusted.map((t) => t.toLowerCase()));
  if (!ids.size) return [];
  // A method's results come from the topmost header reporting it (a message may carry several DKIM signatures).
  const byMethod = new Map<string, Array<MethodResult & { by: string }>>();
  for (const header of trace) {
    if (header.name === 'received') {
      const by = receivedBy(header.value);
      if (hasFromClause(header.value) && !(by && ids.has(by))) break;
      continue;
    }
    const parsed = parseAuthenticationResults(header.value);
    if (!parsed || !ids.has(parsed.authservId)) continue;
    const fresh = new Set(parsed.results.map((r) => r.method).filter((m) => !byMethod.has(m)));
    for (const r of parsed.results) if (fresh.has(r.method)) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), { ...r, by: parsed.authservId }]);
  }
  return [...byMethod.values()].flat();
}

/**
 * Relaxed alignment without a public-suffix list: the signing domain is the From domain or a parent
 * of it with at least two labels (`mail.example.com` is aligned with `example.com`). Stricter than
 * DMARC for sibling subdomains, which only costs a fallback to the other evidence.
 */
export function aligned(fromDomain: string, signingDomain: string): boolean {
  const from = fromDomain.toLowerCase().replace(/\.$/, '');
  const d = signingDomain.toLowerCase().replace(/^@/, '').replace(/\.$/, '');
  if (!d.includes('.')) return false;
  return from === d || from.endsWith(`.${d}`);
}

const signingDomainOf = (r: MethodResult) => r.props['header.d'] ?? (r.props['header.i'] ? domainOf(r.props['header.i']) : '');

/** What the trusted headers say of this From address. */
export function verdictOf(from: string, trace: TraceHeader[], trusted: string[]): Verdict {
  const fromDomain = domainOf(from);
  const results = trustedResults(trace, trusted);
  const dmarc = results.find((r) => r.method === 'dmarc' && (!r.props['header.from'] || r.props['header.from'] === fromDomain));
  if (dmarc?.result === 'fail') return { result: 'fail', how: `dmarc=fail for ${fromDomain} (${dmarc.by})` };
  if (dmarc?.result === 'pass') return { result: 'pass', how: `dmarc=pass (${dmarc.by})` };
  const dkim = results.find((r) => r.method === 'dkim' && r.result === 'pass' && aligned(fromDomain, signingDomainOf(r)));
  if (dkim) return { result: 'pass', how: `dkim=pass header.d=${signingDomainOf(dkim)} (${dkim.by})` };
  return { result: 'none' };
}
