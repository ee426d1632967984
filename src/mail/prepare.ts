// Stage 2: everything the intake does to a message that needs no database: the parse, the
// attachments to disk, the body as text, the sanitised HTML, the reply part and the classification.
// Apart from the content-addressed writes it is pure, so it runs on a worker thread
// (prepare-thread.ts, which also writes the raw bytes) while the main thread applies earlier messages.
// A large message (raw-store.ts SPOOL_BYTES) comes as its stored file: it is parsed from the file
// and its attachments written to disk as they are decoded, so that neither is ever held whole.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { classify, returnedMessageIds, type Classification } from './classify.ts';
import { htmlToText } from './html-text.ts';
import { parseMail, type AttachmentSink } from './parse.ts';
import { openSpool, writeContentAddressed } from './raw-store.ts';
import { extractReply } from './reply-text.ts';
import { sanitizeEmailHtml } from './sanitize.ts';
import { withoutSignature } from './signature.ts';
import type { AttachmentMeta, InboundMail, MailFacts } from './types.ts';

export interface PrepareOptions {
  /** Where attachments are written, content-addressed. */
  filesDir: string;
  limits: { maxMessageBytes: number; maxAttachmentBytes: number };
}

/** A message ready for the database stage. */
export interface PreparedMail {
  kind: 'mail';
  mail: MailFacts;
  /** The body as text: the text part, or the HTML turned to text when there is none. */
  bodyText: string;
  /**
   * The part of bodyText that is new in a reply (quotes and signature dropped); null for a message
   * that names no earlier message and no ticket tag, which cannot be filed as a reply.
   */
  replyText: string | null;
  /** bodyText without its signature and device lines: a first mail's description. */
  firstText: string;
  /** The HTML part, sanitised: the only HTML a browser will ever be shown. */
  html: string | null;
  classification: Classification;
  /** Attachments written to filesDir; those over the size limit are named in bodyText instead. */
  attachments: AttachmentMeta[];
  /** For a bounce: the Message-IDs of the mail it returns. */
  returnedIds: string[];
  /** Set where Guichet verifies DKIM itself (dkim.ts): the signature aligned with From that passed, in words, or null. */
  dkim?: { pass: string | null };
}

/** A message that cannot go further, recorded with its reason. */
export interface RejectedMail {
  kind: 'rejected';
  state: 'quarantined' | 'failed';
  reason: string;
}

export type Prepared = PreparedMail | RejectedMail;

/** A filename that is safe on any disk and in a Content-Disposition header. */
export function safeFilename(name: string, fallback: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).normalize('NFC');
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, '_').replace(/^\.+/, '').trim().slice(0, 180);
  return cleaned || fallback;
}

/** A large message's stored file (under the raw folder), parsed from disk. */
export interface MessageFile {
  file: string;
  size: number;
  sha256: string;
}

/** What classification reads of an attachment (parse.ts keeps as much). */
const HEAD_BYTES = 64 * 1024;

/**
 * Writes each attachment to filesDir as the parser decodes it, hashing it on the way; one over
 * limits.maxAttachmentBytes is still read to its end (its size and sha256 are recorded) but its
 * bytes are dropped. A write error fails the parse, hence the message.
 */
function attachmentsToDisk(opts: PrepareOptions): AttachmentSink {
  return async (content) => {
    const spool = await openSpool(opts.filesDir, '');
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let size = 0;
    let keep = true;
    try {
      for await (const chunk of content as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (size < HEAD_BYTES) head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - size)));
        size += chunk.length;
        if (keep && size > opts.limits.maxAttachmentBytes) {
          keep = false;
          await spool.discard();
        }
        if (keep) await spool.write(chunk);
      }
      const sha = hash.digest('hex');
      if (keep) await spool.finish(sha);
      return { sha256: sha, size, content: null, head: Buffer.concat(head) };
    } catch (err) {
      await spool.discard();
      throw err;
    }
  };
}

async function storeAttachments(mail: InboundMail, opts: PrepareOptions): Promise<{ stored: AttachmentMeta[]; omitted: string[] }> {
  const stored: AttachmentMeta[] = [];
  const omitted: string[] = [];
  const writes: Array<Promise<unknown>> = [];
  for (const [i, a] of mail.attachments.entries()) {
    const filename = safeFilename(a.filename, `attachment-${i + 1}`);
    if (a.size > opts.limits.maxAttachmentBytes) {
      omitted.push(filename);
      continue;
    }
    // Without content, the parse wrote it already (attachmentsToDisk).
    if (a.content) writes.push(writeContentAddressed(opts.filesDir, a.content, '', a.sha256));
    stored.push({ filename, contentType: a.contentType, size: a.size, sha256: a.sha256, contentId: a.contentId, inline: a.inline });
  }
  await Promise.all(writes);
  return { stored, omitted };
}

/** Cheap and generous: the reply extraction costs more than the parse on long threads. */
function mayBeReply(mail: InboundMail): boolean {
  return mail.inReplyTo.length > 0 || mail.references.length > 0 || /#\s*\d/.test(mail.subject);
}

/** Never throws: what goes wrong is the message's outcome. */
export async function prepareMail(raw: Buffer | MessageFile, opts: PrepareOptions): Promise<Prepared> {
  const size = Buffer.isBuffer(raw) ? raw.length : raw.size;
  if (size > opts.limits.maxMessageBytes) {
    return { kind: 'rejected', state: 'quarantined', reason: `message of ${size} bytes exceeds limits.maxMessageBytes (${opts.limits.maxMessageBytes})` };
  }
  let mail: InboundMail;
  try {
    mail = Buffer.isBuffer(raw)
      ? await parseMail(raw)
      : await parseMail(createReadStream(raw.file), { sink: attachmentsToDisk(opts), rawSha: raw.sha256 });
  } catch (err) {
    return { kind: 'rejected', state: 'failed', reason: `parse failed: ${(err as Error).message}` };
  }
  try {
    const { stored, omitted } = await storeAttachments(mail, opts);
    let bodyText = mail.text.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
    if (omitted.length) {
      bodyText += `\n\n[${omitted.length} attachment(s) over the size limit kept only in the original message: ${omitted.join(', ')}]`;
    }
    const classification = classify(mail, mail.headers['return-path'] ?? null);
    const { attachments, text: _text, html: _html, ...facts } = mail;
    return {
      kind: 'mail',
      mail: { ...facts, attachments: attachments.map(({ content: _, head: _head, ...meta }) => meta) },
      bodyText,
      replyText: mayBeReply(mail) ? extractReply(bodyText, mail.from?.name) : null,
      firstText: withoutSignature(bodyText, mail.from?.name),
      html: mail.html ? sanitizeEmailHtml(mail.html) : null,
      classification,
      attachments: stored,
      returnedIds: classification.kind === 'bounce' ? returnedMessageIds(mail) : [],
    };
  } catch (err) {
    return { kind: 'rejected', state: 'failed', reason: `processing failed: ${(err as Error).message}` };
  }
}
