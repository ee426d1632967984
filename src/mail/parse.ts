// Stage 2: parse the stored bytes into the typed InboundMail every later stage works on.
// mailparser is lenient; what it cannot make sense of throws here and the message is recorded as
// failed with the reason, never retried in a loop. NUL characters are dropped from every string:
// they mean nothing in mail text, and PostgreSQL refuses them in a text column.
// The message is read as a stream (a Buffer, or a file for a large message) and each attachment's
// bytes go to a sink as they are decoded: kept in memory by default, written to disk by the prepare
// stage for a large message, so that a 20 MB attachment is never held whole.
import { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import { MailParser, type AddressObject, type AttachmentCommon, type AttachmentStream, type MessageText, type ParsedMail } from 'mailparser';
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

function traceOf(parsed: Pick<ParsedMail, 'headerLines'>): TraceHeader[] {
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
function messageIdOf(given: string | undefined, rawSha: () => string): string {
  const id = given ? noNul(given).replace(/[\s\u0000-\u001f\u007f]+/g, '') : '';
  if (!id) return `<${rawSha()}@checksum.guichet.invalid>`;
  return id.startsWith('<') ? id : `<${id}>`;
}

/** What classification reads of an attachment (a returned message's headers): its first 64 KB. */
const HEAD_BYTES = 64 * 1024;

/** An attachment's bytes once decoded: held, or written out by the sink as they came. */
export interface SunkAttachment {
  sha256: string;
  size: number;
  /** The bytes; null when the sink wrote them to disk (or dropped them: over the size limit). */
  content: Buffer | null;
  /** The first 64 KB. */
  head: Buffer;
}

/** Takes one attachment's decoded bytes (it must read the stream to its end). */
export type AttachmentSink = (content: Readable) => Promise<SunkAttachment>;

export function heldAttachment(content: Buffer): SunkAttachment {
  return { sha256: sha256(content), size: content.length, content, head: content.subarray(0, HEAD_BYTES) };
}

/** The default sink: the bytes in memory, as mailparser's simpleParser keeps them. */
export const holdAttachment: AttachmentSink = async (content) => {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return heldAttachment(Buffer.concat(chunks));
};

/** A message as parsed, its attachments' bytes wherever the sink put them. */
type ParsedParts = Omit<ParsedMail, 'attachments'> & { attachments: AttachmentCommon[] };

/** From simpleParser's result (the corpus benchmark parses with it). */
export function toInboundMail(parsed: ParsedMail, raw: Buffer): InboundMail {
  return fromParts(parsed, parsed.attachments.map((a) => heldAttachment(a.content)), () => sha256(raw));
}

function fromParts(parsed: ParsedParts, bytes: SunkAttachment[], rawSha: () => string): InboundMail {
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const name = line.key.toLowerCase();
    headers[name] = noNul(headerValue(parsed.headers.get(name)));
  }
  const froms = addresses(parsed.from);
  return {
    messageId: messageIdOf(parsed.messageId, rawSha),
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
    attachments: parsed.attachments.map((a, i) => ({
      filename: noNul(a.filename ?? ''),
      contentType: noNul(a.contentType || 'application/octet-stream'),
      size: bytes[i]!.size,
      sha256: bytes[i]!.sha256,
      contentId: a.contentId || a.cid ? noNul(a.contentId ?? a.cid ?? '') : null,
      inline: a.contentDisposition === 'inline' || Boolean(a.related),
      content: bytes[i]!.content,
      head: bytes[i]!.head,
    })),
  };
}

/** The headers simpleParser lifts onto the result, under its camel-case names. */
const LIFTED = ['subject', 'references', 'date', 'to', 'from', 'cc', 'bcc', 'message-id', 'in-reply-to', 'reply-to'];

/**
 * mailparser's simpleParser, with each attachment handed to `sink` instead of always buffered
 * (same options, same result, same rule: the first error rejects). Cid links are kept and no text
 * is made from HTML or HTML from text: the later stages do what they need.
 */
function parseParts(input: Buffer | Readable, sink: AttachmentSink): Promise<{ parsed: ParsedParts; bytes: SunkAttachment[] }> {
  return new Promise((resolve, reject) => {
    // checksumAlgo false: mailparser's md5 of each attachment is not used (the sink takes sha256).
    const parser = new MailParser({ skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true, checksumAlgo: false });
    const parsed: ParsedParts = { attachments: [], headers: new Map(), headerLines: [] };
    const bytes: SunkAttachment[] = [];
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      parser.destroy();
      if (input instanceof Readable) input.destroy();
      reject(err);
    };
    parser.on('error', fail);
    parser.on('headers', (headers) => {
      parsed.headers = headers;
      parsed.headerLines = parser.headerLines || [];
    });
    let reading = false;
    // One object at a time: an attachment's stream is read to its end before the next is asked for.
    const read = (): void => {
      reading = true;
      for (let data: AttachmentStream | MessageText | null; (data = parser.read() as AttachmentStream | MessageText | null) !== null;) {
        if (data.type === 'text') {
          if (data.text !== undefined) parsed.text = data.text;
          if (data.html !== undefined) parsed.html = data.html;
          continue;
        }
        const attachment = data;
        parsed.attachments.push(attachment);
        sink(attachment.content).then((b) => {
          bytes.push(b);
          attachment.release?.();
          read();
        }, fail);
        return;
      }
      reading = false;
    };
    parser.on('readable', () => {
      if (!reading) read();
    });
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      const lifted = parsed as unknown as Record<string, unknown>;
      for (const key of LIFTED) {
        if (parsed.headers.has(key)) lifted[key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = parsed.headers.get(key);
      }
      resolve({ parsed, bytes });
    });
    if (Buffer.isBuffer(input)) parser.end(input);
    else input.once('error', fail).pipe(parser);
  });
}

/**
 * Parses a message: its bytes, or a stream of them (a large message, read from its stored file;
 * `rawSha`, the bytes' sha256, then names it when it has no Message-ID). `sink` takes the
 * attachments (held in memory by default).
 */
export async function parseMail(raw: Buffer, opts?: { sink?: AttachmentSink }): Promise<InboundMail>;
export async function parseMail(raw: Readable, opts: { sink?: AttachmentSink; rawSha: string }): Promise<InboundMail>;
export async function parseMail(raw: Buffer | Readable, opts: { sink?: AttachmentSink; rawSha?: string } = {}): Promise<InboundMail> {
  const { parsed, bytes } = await parseParts(raw, opts.sink ?? holdAttachment);
  return fromParts(parsed, bytes, () => opts.rawSha ?? sha256(raw as Buffer));
}
