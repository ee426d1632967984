// The engines every storage test runs on. SQLite always; PostgreSQL when reachable — each test file
// gets its own throwaway database. In CI (CI=true) a missing PostgreSQL fails the suite instead of
// skipping it. GUICHET_TEST_ENGINES=sqlite (or postgres) narrows the list.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/db/migrate.ts';

export const PG_ADMIN_URL = process.env.GUICHET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** A fresh database, empty or already migrated to the latest (PostgreSQL's are copies of TEMPLATE). */
  freshUrl(): Promise<string>;
  /** A fresh database without a table, for tests that migrate it themselves. */
  emptyUrl(): Promise<string>;
  /** Drops what freshUrl created. */
  cleanup(): Promise<void>;
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The migrated PostgreSQL database each test database is copied from: migrating one takes about half
 * a second on PostgreSQL, copying it a tenth of that. Named after the migrations it holds, so a
 * changed migration makes another; global-setup.ts makes it once per run (ensurePostgresTemplate).
 */
export const TEMPLATE = (() => {
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) hash.update(`\0${f}\0`).update(readFileSync(path.join(MIGRATIONS_DIR, f)));
  return `guichet_template_${hash.digest('hex').slice(0, 16)}`;
})();

async function asAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlOf(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Makes TEMPLATE unless it is there, and drops the templates of other migrations. */
export async function ensurePostgresTemplate(): Promise<void> {
  const others = await asAdmin((c) => c.query<{ datname: string }>(`select datname from pg_database where datname like 'guichet\\_template\\_%'`));
  for (const { datname } of others.rows) {
    if (datname !== TEMPLATE) await asAdmin((c) => c.query(`drop database if exists ${datname} with (force)`));
  }
  if (others.rows.some((r) => r.datname === TEMPLATE)) return;
  // Built under another name and renamed when complete: a run cut off halfway leaves no half template.
  const building = `${TEMPLATE}_building_${process.pid}`;
  await asAdmin((c) => c.query(`create database ${building}`));
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: urlOf(building), max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  await asAdmin((c) => c.query(`alter database ${building} rename to ${TEMPLATE}`));
}

function sqliteEngine(): TestEngine {
  const fresh = async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-db-'));
    return `sqlite:${path.join(dir, 'guichet.db')}`;
  };
  return { name: 'sqlite', freshUrl: fresh, emptyUrl: fresh, async cleanup() {} };
}

function postgresEngine(): TestEngine {
  const created: string[] = [];
  const create = async (template: string) => {
    const name = `guichet_t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    await asAdmin((c) => c.query(`create database ${name} template ${template}`));
    created.push(name);
    return urlOf(name);
  };
  return {
    name: 'postgres',
    freshUrl: () => create(TEMPLATE),
    emptyUrl: () => create('template0'),
    async cleanup() {
      for (const name of created.splice(0)) {
        await asAdmin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => {});
      }
    },
  };
}

/** The engines this run covers; call at the top of a test file (top-level await). */
export async function testEngines(): Promise<TestEngine[]> {
  const wanted = (process.env.GUICHET_TEST_ENGINES ?? 'sqlite,postgres').split(',');
  const engines: TestEngine[] = [];
  if (wanted.includes('sqlite')) engines.push(sqliteEngine());
  if (wanted.includes('postgres')) {
    if (await postgresAvailable()) engines.push(postgresEngine());
    else if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI and is not reachable at ${PG_ADMIN_URL}`);
    else console.warn(`\n!!! PostgreSQL not reachable at ${PG_ADMIN_URL}: the PostgreSQL half of this suite is SKIPPED !!!\n`);
  }
  return engines;
}
