// Stage 2: parse the stored bytes into the typed InboundMail every later stage works on.
// mailparser is lenient; what it cannot make sense of throws here and the message is recorded as
// failed with the reason, never retried in a loop. NUL characters are dropped from every string:
// they mean nothing in mail text, and PostgreSQL refuses them in a text column.
import { domainToASCII } from 'node:url';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { sha256 } from './raw-store.ts';
import type { Address, InboundMail, TraceHeader } from './types.ts';

const noNul = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

/**
 * An address as Guichet compares it: lower case, its domain in ASCII (an IDN and its punycode are
 * one address). A domain that has no ASCII form is kept as written: it matches no contact's.
 */
export function canonicalAddress(address: string): string {
  const a = noNul(address).trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 0) return a;
  const domain = a.slice(at + 1);
  if (/^[\x00-\x7f]*$/.test(domain)) return a;
  return `${a.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

/** The trace headers sender authentication reads, in order, top first; bounded, as a header count is the sender's choice. */
const TRACE = new Set(['received', 'authentication-results']);
const MAX_TRACE = 100;

function traceOf(parsed: ParsedMail): TraceHeader[] {
  const out: TraceHeader[] = [];
  for (const { key, line } of parsed.headerLines) {
    const name = key.toLowerCase();
    if (!TRACE.has(name)) continue;
    const value = noNul(line.slice(line.indexOf(':') + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
    out.push({ name: name as TraceHeader['name'], value: value.slice(0, 4000) });
    if (out.length >= MAX_TRACE) break;
  }
  return out;
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  const out: Address[] = [];
  const walk = (values: AddressObject['value']) => {
    for (const v of values) {
      if (v.group) walk(v.group);
      else if (v.address) out.push({ address: canonicalAddress(v.address), name: noNul(v.name ?? '') });
    }
  };
  for (const obj of list) walk(obj.value);
  return out;
}

function ids(value: string | string[] | undefined): string[] {
  const raw = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return noNul(raw).match(/<[^<>\s]+>/g) ?? [];
}

function headerValue(value: unknown): string {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(headerValue).join(', ');
  if (typeof value === 'object') {
    const v = value as { value?: unknown; text?: string; params?: Record<string, string> };
    if (typeof v.text === 'string') return v.text;
    if (typeof v.value === 'string') {
      const params = Object.entries(v.params ?? {}).map(([k, p]) => `; ${k}=${p}`).join('');
      return v.value + params;
    }
  }
  return String(value);
}

/** The message's Message-ID, or one made from the checksum of its bytes when it has none. */
function messageIdOf(given: string | undefined, raw: Buffer): string {
  const id = given ? noNul(given).replace(/[\s\u0000-\u001f\u007f]+/g, '') : '';
  if (!id) return `<${sha256(raw)}@checksum.guichet.invalid>`;
  return id.startsWith('<') ? id : `<${id}>`;
}

export function toInboundMail(parsed: ParsedMail, raw: Buffer): InboundMail {
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const name = line.key.toLowerCase();
    headers[name] = noNul(headerValue(parsed.headers.get(name)));
  }
  const froms = addresses(parsed.from);
  return {
    messageId: messageIdOf(parsed.messageId, raw),
    inReplyTo: ids(parsed.inReplyTo),
    references: ids(parsed.references),
    subject: noNul(parsed.subject ?? '').replace(/\s+/g, ' ').trim(),
    from: froms[0] ?? null,
    // Several From headers, or one naming several mailboxes: nobody can say who wrote it.
    fromCount: Math.max(froms.length, parsed.headerLines.filter((l) => l.key.toLowerCase() === 'from').length),
    trace: traceOf(parsed),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    date: parsed.date ?? null,
    headers,
    text: noNul(parsed.text ?? ''),
    html: typeof parsed.html === 'string' ? noNul(parsed.html) : null,
    attachments: parsed.attachments.map((a) => ({
      filename: noNul(a.filename ?? ''),
      contentType: noNul(a.contentType || 'application/octet-stream'),
      size: a.size ?? a.content.length,
      sha256: sha256(a.content),
      contentId: a.contentId || a.cid ? noNul(a.contentId ?? a.cid ?? '') : null,
      inline: a.contentDisposition === 'inline' || Boolean(a.related),
      content: a.content,
    })),
  };
}

export async function parseMail(raw: Buffer): Promise<InboundMail> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true, keepCidLinks: true });
  return toInboundMail(parsed, raw);
}
