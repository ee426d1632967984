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
// A large message (over SPOOL_BYTES) is never held whole: it is written as it arrives (openSpool),
// hashed on the way, and handed on by its stored name (SpooledRaw), to be parsed from the file.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
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
  const folder = await folderOf(dir, sha);
  const file = path.join(folder, `${sha}${ext}`);
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

/** Creates the fan-out folder of `sha` if this thread has not seen it yet. */
async function folderOf(dir: string, sha: string): Promise<string> {
  const folder = path.join(dir, sha.slice(0, 2));
  if (!knownDirs.has(folder)) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await syncFolder(dir);
    knownDirs.add(folder);
  }
  return folder;
}

/**
 * A message over this size is written to disk as it arrives and parsed from the file: held whole,
 * a 27 MB message cost about 5 times its size in memory (its chunks, their join, the copy posted to
 * the prepare thread, mailparser's buffers). Below it the bytes stay in memory, the faster path.
 */
export const SPOOL_BYTES = 1024 * 1024;

/** Bytes written into a content-addressed store as they arrive, named by their sha256 at the end. */
export interface Spool {
  /** Resolves once the chunk is written (await it: that is the back-pressure). */
  write(chunk: Buffer): Promise<void>;
  /**
   * Syncs the bytes, names them `<sha><ext>` (the caller hashed them on the way; an existing file of
   * that name is kept and these bytes dropped) and syncs that folder: on return they are on stable
   * storage under `file`.
   */
  finish(sha: string): Promise<string>;
  /** Drops what was written; safe after a failed write or finish, and to repeat. */
  discard(): Promise<void>;
}

const SPOOL_FILE = /^spool\.\d+\.[a-z0-9]+\.tmp$/;

/**
 * Removes the temporary files of spools that were never finished (a process killed, or a machine
 * cut off, in the middle of a large message) and were last written over `olderThanMs` ago: an
 * unfinished spool holds no mail anyone was told is stored, and a 20 MB one left by each crash
 * would fill the disk. A spool in use is written to as its bytes arrive, so its file stays young;
 * the age also spares another process's on a shared data folder. Returns the paths removed.
 */
export async function removeStaleSpools(dirs: string[], olderThanMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!SPOOL_FILE.test(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => null);
      if (!info || now - info.mtimeMs < olderThanMs) continue;
      await unlink(file).then(() => removed.push(file), () => {});
    }
  }
  return removed;
}

/** A spool into dir; its temporary file (0600) lies in dir itself until finished. */
export async function openSpool(dir: string, ext: string): Promise<Spool> {
  const tmp = path.join(dir, `spool.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const handle: FileHandle = await open(tmp, 'w', 0o600);
  let isOpen = true;
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  return {
    async write(chunk) {
      // A write may take fewer bytes than given (a signal, a disk nearly full): the rest goes next.
      for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at)).bytesWritten;
    },
    async finish(sha) {
      await handle.datasync();
      await close();
      const folder = await folderOf(dir, sha);
      const file = path.join(folder, `${sha}${ext}`);
      if (existsSync(file)) await unlink(tmp);
      else {
        await rename(tmp, file);
        await syncFolder(folder);
      }
      return file;
    },
    async discard() {
      await close().catch(() => {});
      await unlink(tmp).catch(() => {});
    },
  };
}

/** How much of a spooled message's start is kept for rawMessageId: any real header block. */
const HEAD_BYTES = 256 * 1024;

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

/** A message already stored under rawDir as it arrived (over SPOOL_BYTES), handed on by name. */
export interface SpooledRaw {
  spooled: StoredBytes;
}

/** What a source hands to the intake: the bytes, or for a large message, where they are stored. */
export type RawMessage = Buffer | SpooledRaw;

export const isSpooled = (raw: RawMessage): raw is SpooledRaw => !Buffer.isBuffer(raw) && 'spooled' in raw;

/** The message's size in bytes, whichever form it has. */
export const rawSize = (raw: RawMessage): number => (isSpooled(raw) ? raw.spooled.size : raw.length);

/** A message being received into rawDir chunk by chunk; `finish` is its SpooledRaw, on stable storage. */
export interface RawSpool {
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<SpooledRaw>;
  discard(): Promise<void>;
}

export async function openRawSpool(rawDir: string): Promise<RawSpool> {
  const spool = await openSpool(rawDir, '.eml');
  const hash: Hash = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      hash.update(chunk);
      if (size < HEAD_BYTES) head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - size)));
      size += chunk.length;
      return spool.write(chunk);
    },
    async finish() {
      const sha = hash.digest('hex');
      const file = await spool.finish(sha);
      return { spooled: { sha256: sha, rawPath: path.relative(rawDir, file), size, messageId: rawMessageId(Buffer.concat(head)) } };
    },
    discard: () => spool.discard(),
  };
}

/** Writes a whole stream (an IMAP download) into a spool, holding none of it beyond a chunk. */
export async function spoolStream(open: () => Promise<RawSpool>, stream: AsyncIterable<Buffer>): Promise<SpooledRaw> {
  const spool = await open();
  try {
    for await (const chunk of stream) await spool.write(chunk);
    return await spool.finish();
  } catch (err) {
    await spool.discard();
    throw err;
  }
}
