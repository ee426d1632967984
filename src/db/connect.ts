// Opens the database named by a URL: `sqlite:<path>` (embedded default) or `postgres://…`.
// Both engines get the same Kysely<Database>; the only differences live here.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
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
  close(): Promise<void>;
}

/**
 * SQLite transactions start IMMEDIATE: a deferred one that reads first and writes later fails with
 * SQLITE_BUSY (no retry) when another process wrote in between, which two Guichet processes on one
 * file would hit. IMMEDIATE takes the write lock up front and lets busy_timeout wait for it.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
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
  constructor(private readonly options: { database: SqliteDatabase }) {
    super(options);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.options);
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
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
    return {
      db,
      engine: 'sqlite',
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
    const pool = new pg.Pool({ connectionString: url, max: 10, types });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  throw new Error(`unsupported database URL: ${url} (expected sqlite:<path> or postgres://…)`);
}
