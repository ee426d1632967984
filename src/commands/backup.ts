// guichet backup <dir> | guichet restore <dir> [--force]
//
// A backup is a folder: guichet.db (SQLite only), raw/ and attachments/ as in the data folder, and
// manifest.json, written last, so that a folder without one is an interrupted backup.
//
// Order matters for consistency without stopping Guichet: the intake writes a message's files
// before the rows that name them, and content-addressed files never change once written. So a
// snapshot of the database taken first, then a copy of the files, holds every file the snapshot
// names (and perhaps a few newer ones nothing names yet, which are harmless).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import type { Config } from '../config.ts';

const BACKUP_USAGE = 'usage: guichet backup <dir>\n';
const RESTORE_USAGE = 'usage: guichet restore <dir> [--force]\n';
const FORMAT = 'guichet-backup/1';
const DB_FILE = 'guichet.db';
const MANIFEST = 'manifest.json';
const PG_DUMP = 'guichet.pgdump';
const STORES = ['raw', 'attachments'] as const;

type Out = (s: string) => void;

export interface Manifest {
  format: typeof FORMAT;
  createdAt: string;
  guichetVersion: string;
  engine: 'sqlite' | 'postgres';
  /** Null on PostgreSQL: its dump is pg_dump's, taken before the backup (see the README). */
  database: { file: string; size: number; sha256: string; migration: string | null } | null;
  counts: { tickets: number; entries: number; inboundMessages: number; attachments: number } | null;
  files: { raw: number; attachments: number; bytes: number };
  /** Files the database names that the data folder did not hold when the backup was taken. */
  missingFiles: string[];
}

async function guichetVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function sqliteFile(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const file = url.slice('sqlite:'.length);
  return file === ':memory:' ? null : file;
}

/** The URL with its password replaced, for a command line the operator will copy. */
export function hidePassword(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A copy is only worth keeping once it is on disk, not in the page cache. */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Copies the content-addressed files under `from` into `to` (same layout), skipping those already
 * there with the right size: their name is their content, so a repeated backup into the same folder
 * only copies what is new. Each copy goes to a temporary name, is checked for size and synced, then
 * renamed, so an interrupted run never leaves a partial file under a real name.
 */
async function copyStore(from: string, to: string): Promise<{ files: Set<string>; copied: number; bytes: number }> {
  const files = new Set<string>();
  let copied = 0;
  let bytes = 0;
  await mkdir(to, { recursive: true, mode: 0o700 });
  await chmod(to, 0o700);
  if (!existsSync(from)) return { files, copied, bytes };
  const folders = (await readdir(from, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const folder of folders) {
    const source = path.join(from, folder);
    const target = path.join(to, folder);
    await mkdir(target, { recursive: true, mode: 0o700 });
    await chmod(target, 0o700);
    // The intake's own temporary files are not yet messages.
    const names = (await readdir(source)).filter((n) => !n.endsWith('.tmp'));
    const copyOne = async (name: string) => {
      const src = path.join(source, name);
      const dst = path.join(target, name);
      const size = (await stat(src)).size;
      files.add(`${folder}/${name}`);
      bytes += size;
      const existing = await stat(dst).catch(() => null);
      if (existing?.size === size) return;
      const tmp = `${dst}.${process.pid}.tmp`;
      await copyFile(src, tmp);
      await chmod(tmp, 0o600);
      const written = (await stat(tmp)).size;
      if (written !== size) {
        await unlink(tmp).catch(() => {});
        throw new Error(`copy of ${src} has ${written} bytes instead of ${size}`);
      }
      await syncFile(tmp);
      await rename(tmp, dst);
      copied++;
    };
    // A few copies at once: most time is spent waiting on the disk, not in this thread.
    for (let i = 0; i < names.length; i += 16) await Promise.all(names.slice(i, i + 16).map(copyOne));
  }
  return { files, copied, bytes };
}

/** Counts and names taken from one database file, opened alone (a backup copy, a restored file). */
function inspectCopy(file: string) {
  const db = new SQLite(file, { fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    const hasMigrations = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    const migration = hasMigrations
      ? ((db.prepare('select name from kysely_migration order by name desc limit 1').get() as { name: string } | undefined)?.name ?? null)
      : null;
    return {
      db,
      migration,
      counts: { tickets: count('ticket'), entries: count('entry'), inboundMessages: count('inbound_message'), attachments: count('attachment') },
      referenced(): string[] {
        const raw = (db.prepare('select raw_path from inbound_message').all() as { raw_path: string }[]).map((r) => `raw/${r.raw_path}`);
        const att = (db.prepare('select distinct sha256 from attachment').all() as { sha256: string }[])
          .map((r) => `attachments/${r.sha256.slice(0, 2)}/${r.sha256}`);
        return raw.concat(att);
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

async function prepareBackupDir(dir: string): Promise<string | null> {
  if (existsSync(dir)) {
    const entries = await readdir(dir);
    // The PostgreSQL dump is taken into the same folder just before (see the README).
    const ours = new Set<string>([MANIFEST, DB_FILE, PG_DUMP, ...STORES]);
    if (entries.some((e) => !ours.has(e) && !e.includes('.tmp'))) {
      return `${dir} holds other files: give an empty folder, a new one, or an earlier Guichet backup`;
    }
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return null;
}

async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const tmp = path.join(dir, `${MANIFEST}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await syncFile(tmp);
  await rename(tmp, path.join(dir, MANIFEST));
}

/**
 * The SQLite snapshot, through the online backup API: it reads under a read transaction, which in
 * WAL mode never blocks Guichet's writers. All pages are asked for in one step: copied in small
 * steps, every write by another process would restart the copy, and a busy intake could keep it
 * restarting for ever.
 */
async function snapshotSqlite(source: string, dir: string) {
  const tmp = path.join(dir, `${DB_FILE}.${process.pid}.tmp`);
  await rm(tmp, { force: true });
  // Created private before SQLite writes into it: mail must never be readable by others, even briefly.
  await writeFile(tmp, '', { mode: 0o600 });
  const sqlite = new SQLite(source, { fileMustExist: true, timeout: 10_000 });
  try {
    await sqlite.backup(tmp, { progress: () => 0x7fffffff });
  } finally {
    sqlite.close();
  }
  const copy = inspectCopy(tmp);
  let referenced: string[];
  try {
    const check = copy.db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the database copy fails its check: ${String(check)}`);
    // One self-contained file: without this the copy is in WAL mode and opening it (to count, to
    // restore) would leave -wal/-shm companions beside it.
    copy.db.pragma('journal_mode = DELETE');
    referenced = copy.referenced();
  } finally {
    copy.db.close();
  }
  await syncFile(tmp);
  const sha256 = await sha256File(tmp);
  const size = (await stat(tmp)).size;
  await rename(tmp, path.join(dir, DB_FILE));
  return { database: { file: DB_FILE, size, sha256, migration: copy.migration }, counts: copy.counts, referenced };
}

export async function backupCommand(config: Config, argv: string[], out: Out, err: Out = out): Promise<number> {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true }));
  } catch (e) {
    err(`guichet backup: ${(e as Error).message}\n${BACKUP_USAGE}`);
    return 2;
  }
  if (positionals.length !== 1) {
    err(BACKUP_USAGE);
    return 2;
  }
  const dir = path.resolve(positionals[0]!);
  const url = config.database.url;
  const engine = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const file = sqliteFile(url);
  if (engine === 'sqlite' && !file) {
    err('guichet backup: an in-memory database cannot be backed up\n');
    return 1;
  }
  if (file && !existsSync(file)) {
    err(`guichet backup: no database at ${file}\n`);
    return 1;
  }
  const refused = await prepareBackupDir(dir);
  if (refused) {
    err(`guichet backup: ${refused}\n`);
    return 1;
  }
  const createdAt = new Date().toISOString();
  // An earlier manifest no longer describes the folder once this backup starts changing it.
  await rm(path.join(dir, MANIFEST), { force: true });

  const snapshot = file ? await snapshotSqlite(file, dir) : null;
  const stores = { raw: await copyStore(path.join(config.dataDir, 'raw'), path.join(dir, 'raw')), attachments: await copyStore(path.join(config.dataDir, 'attachments'), path.join(dir, 'attachments')) };
  const present = (p: string) => {
    const [store, ...rest] = p.split('/');
    return stores[store as 'raw' | 'attachments'].files.has(rest.join('/'));
  };
  const missingFiles = snapshot ? snapshot.referenced.filter((p) => !present(p)) : [];
  const manifest: Manifest = {
    format: FORMAT,
    createdAt,
    guichetVersion: await guichetVersion(),
    engine,
    database: snapshot?.database ?? null,
    counts: snapshot?.counts ?? null,
    files: { raw: stores.raw.files.size, attachments: stores.attachments.files.size, bytes: stores.raw.bytes + stores.attachments.bytes },
    missingFiles,
  };
  await writeManifest(dir, manifest);

  const copied = stores.raw.copied + stores.attachments.copied;
  const filesLine = `${manifest.files.raw} raw message(s) and ${manifest.files.attachments} attachment file(s), ${copied} copied now`;
  if (snapshot) {
    const c = snapshot.counts;
    out(`backup in ${dir}: database (${c.tickets} ticket(s), ${c.entries} entr${c.entries === 1 ? 'y' : 'ies'}, ${c.inboundMessages} inbound message(s), ${c.attachments} attachment(s)), ${filesLine}\n`);
  } else {
    out(`data folder copied to ${dir}: ${filesLine}\n`);
    out('The PostgreSQL database is not in this backup. Dump it with pg_dump before each copy of the data folder\n');
    out('(the password is hidden: give it through ~/.pgpass or PGPASSWORD):\n');
    out(`  pg_dump --format=custom --file=${path.join(dir, PG_DUMP)} '${hidePassword(url)}'\n`);
  }
  if (missingFiles.length) {
    err(`guichet backup: ${missingFiles.length} file(s) the database names were not in the data folder (listed in ${MANIFEST}), e.g. ${missingFiles[0]}\n`);
    return 1;
  }
  return 0;
}

/**
 * Whether some process has the SQLite file open. A connection may leave WAL mode only when it is
 * the file's sole user, so trying to is the test; when it succeeds the file is also checkpointed
 * into one self-contained file, safe to move aside.
 */
function sqliteInUse(file: string): boolean {
  const db = new SQLite(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    return false;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY' || (e as { code?: string }).code === 'SQLITE_LOCKED') return true;
    throw e;
  } finally {
    db.close();
  }
}

function holdsData(file: string): boolean {
  const db = new SQLite(file, { fileMustExist: true, readonly: true });
  try {
    const tables = new Set((db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return ['ticket', 'inbound_message', 'contact', 'staff'].some((t) => tables.has(t) && db.prepare(`select 1 from ${t} limit 1`).get());
  } finally {
    db.close();
  }
}

export async function restoreCommand(config: Config, argv: string[], out: Out, err: Out = out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { force: { type: 'boolean' } }, allowPositionals: true });
  } catch (e) {
    err(`guichet restore: ${(e as Error).message}\n${RESTORE_USAGE}`);
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    err(RESTORE_USAGE);
    return 2;
  }
  const dir = path.resolve(parsed.positionals[0]!);
  const fail = (msg: string) => {
    err(`guichet restore: ${msg}\n`);
    return 1;
  };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return fail(`no readable ${MANIFEST} in ${dir}: not a finished Guichet backup`);
  }
  if (manifest.format !== FORMAT) return fail(`${dir} is not a backup this Guichet reads (format ${String(manifest.format)})`);
  const url = config.database.url;
  const engine = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  if (manifest.engine !== engine) return fail(`the backup is of a ${manifest.engine} installation and this one runs on ${engine}`);
  const target = sqliteFile(url);
  if (engine === 'sqlite' && !target) return fail('cannot restore into an in-memory database');

  // Every check before anything is touched: a refused restore changes nothing.
  const copy = path.join(dir, manifest.database?.file ?? DB_FILE);
  if (target) {
    if (!manifest.database) return fail(`${MANIFEST} names no database copy`);
    if (!existsSync(copy)) return fail(`${copy} is missing`);
    const sha = await sha256File(copy);
    if (sha !== manifest.database.sha256) return fail(`${copy} does not match ${MANIFEST} (sha256 ${sha}, expected ${manifest.database.sha256}): the copy is damaged or was changed`);
    if (existsSync(target)) {
      if (sqliteInUse(target)) return fail(`${target} is open by another process: stop Guichet (and any guichet command) first`);
      if (holdsData(target) && !parsed.values.force) return fail(`${target} already holds tickets or mail; --force replaces it (it is kept aside)`);
    }
  }

  // Files first: a database restored before its files would name files that are not there yet.
  const raw = await copyStore(path.join(dir, 'raw'), path.join(config.dataDir, 'raw'));
  const attachments = await copyStore(path.join(dir, 'attachments'), path.join(config.dataDir, 'attachments'));
  await chmod(config.dataDir, 0o700);
  out(`data folder ${config.dataDir}: ${raw.files.size} raw message(s) and ${attachments.files.size} attachment file(s), ${raw.copied + attachments.copied} copied\n`);

  if (!target) {
    out('The PostgreSQL database is restored with pg_restore from the dump taken with this backup, e.g.\n');
    out(`  pg_restore --clean --if-exists --no-owner --dbname='${hidePassword(url)}' ${path.join(dir, PG_DUMP)}\n`);
    out('then `guichet migrate` brings an older dump up to date.\n');
    return 0;
  }

  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const tmp = `${target}.restore-${process.pid}.tmp`;
  await copyFile(copy, tmp);
  await chmod(tmp, 0o600);
  await syncFile(tmp);
  if ((await sha256File(tmp)) !== manifest.database!.sha256) {
    await unlink(tmp).catch(() => {});
    return fail(`the copy of ${copy} to ${tmp} does not match its sha256; nothing was replaced`);
  }
  if (existsSync(target)) {
    const aside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(target, aside);
    out(`the database that was there is kept as ${aside}\n`);
  }
  // A -wal left from the replaced file would be replayed into the restored one and corrupt it.
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
  await rename(tmp, target);

  const { openDatabase } = await import('../db/connect.ts');
  const { migrateToLatest } = await import('../db/migrate.ts');
  const database = openDatabase(url);
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length) out(`migrations applied to the restored database: ${applied.join(', ')}\n`);
  } finally {
    await database.close();
  }
  const restored = inspectCopy(target);
  try {
    const check = restored.db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') return fail(`the restored database fails its integrity check: ${String(check)}`);
    const c = restored.counts;
    out(`restored ${target}: ${c.tickets} ticket(s), ${c.entries} entr${c.entries === 1 ? 'y' : 'ies'}, ${c.inboundMessages} inbound message(s), ${c.attachments} attachment(s) (backup of ${manifest.createdAt}, Guichet ${manifest.guichetVersion})\n`);
  } finally {
    restored.db.close();
  }
  return 0;
}
