// Stage 1: store the raw bytes before anything else looks at them. A message that Guichet has
// stored can always be replayed; one it has not must not be marked as read on the server.
// Bytes go to a content-addressed file (attachments too), written through the thread pool under a
// temporary name and renamed, so concurrent writers never leave a partial file. The row that
// records them is inbound.ts's (recordRaw). Folders are created 0700 and files 0600: the mail is
// other people's, readable by Guichet's user alone.
// A file is on stable storage before it is returned: its bytes are synced before the rename (a
// name must never stand for a partial file, since an existing name is never written again) and its
// folder after it, so that the row that names it, once committed, never outlives it in a power cut.
// Folder syncs are shared: writers that renamed into one folder before its sync began are all
// covered by it, so a chunk of messages costs about one sync per folder, not two per message.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
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
  let created = false;
  for (let i = 0; i < 256; i++) {
    const folder = path.join(dir, i.toString(16).padStart(2, '0'));
    if (!existsSync(folder)) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      created = true;
    }
    knownDirs.add(folder);
  }
  if (created) {
    syncFolderNow(dir);
    syncFolderNow(path.dirname(dir));
  }
}

function syncFolderNow(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Per folder: the sync not begun yet, which later writers join, and the one running. */
const folderSyncs = new Map<string, { queued: Promise<void> | null; running: Promise<void> | null }>();

/** Resolves once a sync of the folder begun after this call has ended. */
function syncFolder(folder: string): Promise<void> {
  let state = folderSyncs.get(folder);
  if (!state) folderSyncs.set(folder, (state = { queued: null, running: null }));
  if (state.queued) return state.queued;
  const s = state;
  const next: Promise<void> = (s.running ?? Promise.resolve()).catch(() => {}).then(async () => {
    s.queued = null;
    s.running = next;
    try {
      const handle = await open(folder, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } finally {
      if (s.running === next) s.running = null;
    }
  });
  s.queued = next;
  return next;
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
    await syncFolder(dir);
    knownDirs.add(folder);
  }
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
    } catch (err) {
      // A partial file left on a full disk would keep it full after the write is retried.
      await handle.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await handle.close();
    await rename(tmp, file);
    await syncFolder(folder);
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
