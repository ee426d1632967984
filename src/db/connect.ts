// Opens the database named by a URL: `sqlite:<path>` (embedded default) or `postgres://…`.
// Both engines get the same Kysely<Database>; the only differences live here.
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  sql,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';

/**
 * Whether rows can be locked (`SELECT … FOR UPDATE`): PostgreSQL. SQLite has no row locks and needs
 * none here: its transactions start IMMEDIATE, so writers already run one at a time.
 */
export function hasRowLocks(db: Kysely<any>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export interface Db {
  db: Kysely<Database>;
  engine: Engine;
  /** Who holds leases, and which holders are gone (see Leases). */
  leases: Leases;
  close(): Promise<void>;
}

/**
 * This process's name in lease columns (the outbox's lease_holder) and, on PostgreSQL, in the
 * application_name of its sessions. The start time tells a restarted process from the one that
 * had its pid before. At most 63 bytes: PostgreSQL truncates application_name there.
 */
export const PROCESS_HOLDER = `${os.hostname().slice(0, 32)}:${process.pid}:${Date.now().toString(36)}`;

/**
 * Which lease holders are gone, so that what a killed process had claimed is taken over at once
 * rather than when its lease runs out. The lease stays the fallback for what cannot be judged.
 */
export interface Leases {
  holder: string;
  /**
   * The holders alive now (this one included), or null when nothing can be judged gone now.
   * `unnamedGone`: leases that name no holder (taken before leases named one) are gone too.
   */
  check(): Promise<{ alive: string[]; unnamedGone: boolean } | null>;
}

/**
 * SQLite serves one Guichet process per file (several processes want PostgreSQL; `guichet ingest`
 * and the other commands claim nothing): every lease found at start was taken before this process
 * started, by one that is gone. Later, nobody else can have taken one.
 */
function sqliteLeases(): Leases {
  let checked = false;
  return {
    holder: PROCESS_HOLDER,
    async check() {
      if (checked) return null;
      checked = true;
      return { alive: [PROCESS_HOLDER], unnamedGone: true };
    },
  };
}

/**
 * On PostgreSQL a process is alive while it has a session: every session of this process carries
 * the holder as its application_name, and one session is held open for the process's lifetime
 * (the pool closes idle ones), so its holder shows in pg_stat_activity until it exits. A process
 * killed, even with SIGKILL, has its sockets closed by the kernel and its sessions end at once. A
 * machine that loses power leaves its sessions until TCP keepalive ends them: the lease runs out
 * first. A holder is judged only when this process sees its own session, so a role that may not
 * read other sessions' application_name never takes a live process's leases.
 */
function postgresLeases(url: string): Leases & { close(): Promise<void> } {
  let presence: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  const connect = (): Promise<void> =>
    (connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url, application_name: PROCESS_HOLDER, keepAlive: true });
      client.on('error', () => {});
      client.on('end', () => {
        if (presence === client) presence = null;
        if (!closed) setTimeout(() => void connect().catch(() => {}), 1000).unref();
      });
      await client.connect();
      if (closed) await client.end();
      else presence = client;
    })().finally(() => (connecting = null)));
  return {
    holder: PROCESS_HOLDER,
    async check() {
      if (closed) return null;
      if (!presence) await connect();
      if (!presence) return null;
      const { rows } = await presence.query<{ name: string }>(
        'select distinct application_name as name from pg_stat_activity where application_name is not null',
      );
      const alive = rows.map((r) => r.name);
      return alive.includes(PROCESS_HOLDER) ? { alive, unnamedGone: false } : null;
    },
    async close() {
      closed = true;
      await connecting?.catch(() => {});
      await presence?.end().catch(() => {});
      presence = null;
    },
  };
}

/**
 * The SQL a transaction runs to be committed durably on SQLite: an unknown pragma, which SQLite
 * ignores, caught by the connection below before it gets there.
 */
const DURABLE_COMMIT = 'pragma guichet_durable_commit';
const durableTransactions = new WeakSet<object>();

/**
 * Makes the caller's transaction commit to stable storage, whatever the connection's faster
 * default: what a source is told it may forget (the raw rows) and what a notification is sent
 * about. PostgreSQL: synchronous_commit on for this transaction (a role or server set to `off`
 * keeps it for the rest). SQLite: the write-ahead log is fsync'd after the commit, which is what
 * synchronous=FULL does and synchronous=NORMAL leaves to the next checkpoint (SQLite refuses to
 * change the setting inside a transaction). Either way every earlier commit reaches the disk too.
 */
export async function commitDurably(trx: Kysely<Database>): Promise<void> {
  if (durableTransactions.has(trx)) return;
  durableTransactions.add(trx);
  if (trx.getExecutor().adapter instanceof PostgresAdapter) await sql`set local synchronous_commit = on`.execute(trx);
  else await sql.raw(DURABLE_COMMIT).execute(trx);
}

/** SQLite's one connection, noting a transaction that asked to be committed durably. */
class DurableAwareConnection implements DatabaseConnection {
  durable = false;
  constructor(private readonly inner: DatabaseConnection) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (query.sql === DURABLE_COMMIT) {
      this.durable = true;
      return { rows: [] };
    }
    return this.inner.executeQuery<R>(query);
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * SQLite transactions start IMMEDIATE: a deferred one that reads first and writes later fails with
 * SQLITE_BUSY (no retry) when another process wrote in between, which two Guichet processes on one
 * file would hit. IMMEDIATE takes the write lock up front and lets busy_timeout wait for it.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  #connection: DurableAwareConnection | null = null;
  constructor(config: ConstructorParameters<typeof SqliteDriver>[0], private readonly walFile: string | null) {
    super(config);
  }
  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    return (this.#connection ??= new DurableAwareConnection(inner));
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await super.commitTransaction(connection);
    const c = connection as DurableAwareConnection;
    if (!c.durable) return;
    c.durable = false;
    if (this.walFile) syncFile(this.walFile);
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as DurableAwareConnection).durable = false;
    await super.rollbackTransaction(connection);
  }
}

function syncFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    // No log left: a checkpoint took everything into the database file, and synced it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Kysely prepares every statement anew; intake runs the same two dozen statements for every
 * message, so preparing them once and reusing them is most of the cost saved. Bounded, because
 * `in (…)` lists make their own SQL texts.
 */
function withStatementCache(db: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
    close: () => db.close(),
  };
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly options: { database: SqliteDatabase }, private readonly walFile: string | null) {
    super(options);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.options, this.walFile);
  }
}

/**
 * The database file and its -wal and -shm companions are Guichet's user's alone (0600). SQLite gives
 * a -wal or -shm it creates later the database file's permissions.
 */
function makePrivate(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Statistics only speed queries up: a busy or read-only file must not stop Guichet from opening or closing. */
function refreshStatistics(sqlite: SQLite.Database, pragma: string): void {
  try {
    sqlite.pragma(pragma);
  } catch {
    // Kept as they were; the next open or close tries again.
  }
}

export function openDatabase(url: string): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600)); // never readable by others, not even briefly
    }
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    if (file !== ':memory:') makePrivate(file);
    // NORMAL: a commit reaches the disk at the next checkpoint, so a power cut may take back the
    // last commits (never corrupting the file); a crash of Guichet alone loses nothing. What must
    // survive a power cut commits through commitDurably.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    // A 64 MiB page cache keeps the hot B-tree pages (ticket, message_ref, outbox indexes) in memory
    // through a mailbox backlog; the default 2 MiB is evicted by every few message bodies.
    sqlite.pragma('cache_size = -65536');
    // Planner statistics, refreshed where SQLite advises (at open and before close): without them
    // the list picks the status index and sorts 94k closed tickets instead of reading them in order.
    // Only tables grown or shrunk tenfold since their last ANALYZE are analysed, with a bounded sample.
    refreshStatistics(sqlite, 'optimize = 0x10002');
    const walFile = file === ':memory:' ? null : `${file}-wal`;
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }, walFile) });
    return {
      db,
      engine: 'sqlite',
      leases: sqliteLeases(),
      close: async () => {
        if (sqlite.open) refreshStatistics(sqlite, 'optimize');
        await db.destroy();
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    // UIDVALIDITY and UIDs are unsigned 32-bit, stored as bigint; they fit a JS number.
    const types = {
      getTypeParser: (oid: number, format?: any) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    };
    const pool = new pg.Pool({ connectionString: url, max: 10, types, application_name: PROCESS_HOLDER });
    // An idle session ended by the server (a restart, pg_terminate_backend) is reported here and
    // dropped from the pool; the next query opens a new one. Unheard, the event ends the process.
    pool.on('error', () => {});
    // pg-pool listens only to idle sessions: one in use (a transaction between two statements) that
    // the server ends would raise an unheard 'error' and end the process. Heard here, the next
    // statement fails with the reason instead, and the dead session is dropped when released.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const leases = postgresLeases(url);
    return {
      db,
      engine: 'postgres',
      leases,
      close: async () => {
        await leases.close();
        await db.destroy();
      },
    };
  }
  throw new Error(`unsupported database URL: ${url} (expected sqlite:<path> or postgres://…)`);
}
