// Stage 1: store the raw bytes before anything else looks at them. A message that Guichet has
// stored can always be replayed; one it has not must not be marked as read on the server.
// Bytes go to a content-addressed file (attachments too), written through the thread pool under a
// temporary name and renamed, so concurrent writers never leave a partial file. The row that
// records them is inbound.ts's (recordRaw). Folders are created 0700 and files 0600: the mail is
// other people's, readable by Guichet's user alone.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// Folders known to exist, per thread (each worker has its own copy of this module).
const knownDirs = new Set<string>();

/**
 * Creates the 256 fan-out folders of a content-addressed store up front, once per start, so that
 * storing a message never has to create one (a folder costs as much as a file to create).
 */
export function createFanOut(dir: string): void {
  for (let i = 0; i < 256; i++) {
    const folder = path.join(dir, i.toString(16).padStart(2, '0'));
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    knownDirs.add(folder);
  }
}

/**
 * Writes bytes under their sha256 (dir/ab/<sha256><ext>, one level of 256 folders) once, through the
 * thread pool: creating a file can wait on the file system for a millisecond, time the prepare
 * thread spends parsing instead. Written to a temporary name and renamed, so that concurrent writers
 * of the same bytes never leave a partial file.
 */
export async function writeContentAddressed(dir: string, bytes: Buffer, ext: string, known?: string): Promise<{ sha: string; file: string }> {
  const sha = known ?? sha256(bytes);
  const folder = path.join(dir, sha.slice(0, 2));
  const file = path.join(folder, `${sha}${ext}`);
  if (!knownDirs.has(folder)) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    knownDirs.add(folder);
  }
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, file);
  }
  return { sha, file };
}

/** The Message-ID header, read from the raw head without a full parse (the parse may fail later). */
export function rawMessageId(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.subarray(0, end >= 0 ? end : Math.min(raw.length, 64 * 1024)).toString('latin1');
  const m = /^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  // Control characters are no part of a Message-ID, and PostgreSQL refuses a NUL in text.
  const id = m?.[1]?.replace(/[\s\u0000-\u001f\u007f]+/g, '').match(/<[^>]+>/)?.[0];
  return id ?? null;
}

/** A message's bytes once they are on disk: what its inbound_message row records. */
export interface StoredBytes {
  sha256: string;
  /** Relative to the raw folder. */
  rawPath: string;
  size: number;
  messageId: string | null;
}

/** Writes the bytes under rawDir (content-addressed); safe to repeat and to run on any thread. */
export async function storeRawBytes(rawDir: string, raw: Buffer): Promise<StoredBytes> {
  const { sha, file } = await writeContentAddressed(rawDir, raw, '.eml');
  return { sha256: sha, rawPath: path.relative(rawDir, file), size: raw.length, messageId: rawMessageId(raw) };
}
