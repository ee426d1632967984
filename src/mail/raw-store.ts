// Stage 1: store the raw bytes before anything else looks at them. A message that Guichet has
// stored can always be replayed; one it has not must not be marked as read on the server.
// Bytes go to a content-addressed file; the row is unique on (mailbox, uidvalidity, uid) and on the
// sha256, so a second delivery of the same message is a silent no-op that returns the first row.
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database, InboundMessage } from '../db/schema.ts';
import type { MailSource } from './types.ts';

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes bytes under dir/ab/cd/<sha256><ext> once; concurrent writers cannot leave a partial file. */
export async function writeContentAddressed(dir: string, bytes: Buffer, ext: string): Promise<{ sha: string; file: string }> {
  const sha = sha256(bytes);
  const file = path.join(dir, sha.slice(0, 2), sha.slice(2, 4), `${sha}${ext}`);
  try {
    await access(file);
  } catch {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }
  return { sha, file };
}

/** The Message-ID header, read from the raw head without a full parse (the parse may fail later). */
export function rawMessageId(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 64 * 1024)).toString('latin1');
  const m = /^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  const id = m?.[1]?.replace(/\s+/g, '').match(/<[^>]+>/)?.[0];
  return id ?? null;
}

export interface StoredRaw {
  row: InboundMessage;
  /** True when these bytes or this mailbox slot were already stored; its state says what is left. */
  duplicate: boolean;
}

export async function storeRaw(
  db: Kysely<Database>,
  rawDir: string,
  raw: Buffer,
  source: MailSource,
  now: Date,
): Promise<StoredRaw> {
  const { sha, file } = await writeContentAddressed(rawDir, raw, '.eml');
  const existing = async () =>
    db
      .selectFrom('inbound_message')
      .selectAll()
      .where((eb) =>
        source.uid === null || source.uidValidity === null
          ? eb('sha256', '=', sha)
          : eb.or([
              eb('sha256', '=', sha),
              eb.and([
                eb('mailbox', '=', source.mailbox),
                eb('uid_validity', '=', source.uidValidity),
                eb('uid', '=', source.uid),
              ]),
            ]),
      )
      .orderBy('id')
      .executeTakeFirst();

  const found = await existing();
  if (found) return { row: found, duplicate: true };
  const inserted = await db
    .insertInto('inbound_message')
    .values({
      mailbox: source.mailbox,
      uid_validity: source.uidValidity,
      uid: source.uid,
      message_id: rawMessageId(raw),
      sha256: sha,
      raw_path: path.relative(rawDir, file),
      size: raw.length,
      state: 'pending',
      attempts: 0,
      received_at: now.toISOString(),
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, duplicate: false };
  // Lost a race with another process storing the same message: theirs is the row.
  const raced = await existing();
  if (!raced) throw new Error('inbound message vanished after a unique conflict');
  return { row: raced, duplicate: true };
}
