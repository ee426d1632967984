// What the People and Mail pages share: a stored message read back from its raw file (the table
// keeps no subject or sender, the bytes are the source of truth), the counts of the navigation, and
// dates. Lists read only the head of each file: a 20 MB message costs them no more than a short one.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { scopeContacts, scopeMail, type Scope } from '../../../tickets/rights.ts';
import type { NavCounts } from '../layout.ts';
import type { InboundPort, ParsedMailView } from '../ports.ts';

/** Enough for the headers and the first lines of the text of nearly every message. */
const HEAD_BYTES = 32 * 1024;

/** The raw file of a stored message; null when its recorded path would lead outside the raw store. */
export function rawFile(dataDir: string, rawPath: string): string | null {
  const root = path.resolve(dataDir, 'raw');
  const file = path.resolve(root, rawPath);
  return file.startsWith(root + path.sep) ? file : null;
}

export async function readRaw(dataDir: string, rawPath: string): Promise<Buffer | null> {
  const file = rawFile(dataDir, rawPath);
  if (!file) return null;
  return readFile(file).catch(() => null);
}

async function readHead(file: string): Promise<Buffer | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The message parsed from its stored bytes, whole or (`head`) from its beginning; null when the file is gone or unreadable. */
export async function storedMail(inbound: InboundPort, dataDir: string, rawPath: string, opts: { head?: boolean } = {}): Promise<ParsedMailView | null> {
  const file = rawFile(dataDir, rawPath);
  if (!file) return null;
  const raw = opts.head ? await readHead(file) : await readFile(file).catch(() => null);
  if (!raw) return null;
  return inbound.parse(raw).catch(() => null);
}

/** The first few non-blank lines of a text, for a list. */
export function firstLines(text: string, lines = 3, chars = 300): string {
  const kept = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(0, lines).join('\n');
  return kept.length > chars ? `${kept.slice(0, chars)}…` : kept;
}

export const formatDate = (iso: string | Date | null, lang: string): string =>
  iso === null
    ? ''
    : new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/**
 * Queue sizes of the People and Mail entries; each is an index range count (contact by state, inbound
 * by state, outbox by state), of what `scope` sees (tickets/rights.ts).
 */
export async function mailCounts(db: Kysely<Database>, scope: Scope = 'all'): Promise<NavCounts> {
  const count = (rows: Array<{ n: number | string | bigint }>) => Number(rows[0]?.n ?? 0);
  const [pending, quarantined, failed] = await Promise.all([
    scopeContacts(db.selectFrom('contact').select((eb) => eb.fn.countAll<number>().as('n')).where('contact.state', '=', 'pending'), scope).execute(),
    scopeMail(db.selectFrom('inbound_message').select((eb) => eb.fn.countAll<number>().as('n')).where('inbound_message.state', 'in', ['quarantined', 'failed']), scope, 'inbound_message').execute(),
    scopeMail(db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('outbox.state', '=', 'failed'), scope, 'outbox').execute(),
  ]);
  return { queues: {}, pendingAccounts: count(pending), quarantined: count(quarantined), outboxFailed: count(failed) };
}

/** A positive integer from a path or query parameter, else null (a 404, never a database error). */
export function idParam(value: string | undefined): number | null {
  if (!value || !/^[0-9]{1,15}$/.test(value)) return null;
  const n = Number(value);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}
