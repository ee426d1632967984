// Stage 2: parse the stored bytes into the typed InboundMail every later stage works on.
// mailparser is lenient; what it cannot make sense of throws here and the message is recorded as
// failed with the reason, never retried in a loop.
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { sha256 } from './raw-store.ts';
import type { Address, InboundMail } from './types.ts';

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  const out: Address[] = [];
  const walk = (values: AddressObject['value']) => {
    for (const v of values) {
      if (v.group) walk(v.group);
      else if (v.address) out.push({ address: v.address.toLowerCase(), name: v.name ?? '' });
    }
  };
  for (const obj of list) walk(obj.value);
  return out;
}

function ids(value: string | string[] | undefined): string[] {
  const raw = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return raw.match(/<[^<>\s]+>/g) ?? [];
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

export function toInboundMail(parsed: ParsedMail, raw: Buffer): InboundMail {
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const name = line.key.toLowerCase();
    const value = headerValue(parsed.headers.get(name));
    headers[name] = value;
  }
  return {
    messageId: parsed.messageId ? (parsed.messageId.startsWith('<') ? parsed.messageId : `<${parsed.messageId}>`) : `<${sha256(raw)}@checksum.guichet.invalid>`,
    inReplyTo: ids(parsed.inReplyTo),
    references: ids(parsed.references),
    subject: (parsed.subject ?? '').replace(/\s+/g, ' ').trim(),
    from: addresses(parsed.from)[0] ?? null,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    date: parsed.date ?? null,
    headers,
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? '',
      contentType: a.contentType || 'application/octet-stream',
      size: a.size ?? a.content.length,
      sha256: sha256(a.content),
      contentId: a.contentId ?? a.cid ?? null,
      inline: a.contentDisposition === 'inline' || Boolean(a.related),
      content: a.content,
    })),
  };
}

export async function parseMail(raw: Buffer): Promise<InboundMail> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true, keepCidLinks: true });
  return toInboundMail(parsed, raw);
}
