// The engines every storage test runs on. SQLite always; PostgreSQL when reachable — each test file
// gets its own throwaway database. In CI (CI=true) a missing PostgreSQL fails the suite instead of
// skipping it. GUICHET_TEST_ENGINES=sqlite (or postgres) narrows the list.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.GUICHET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database URL. */
  freshUrl(): Promise<string>;
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

function sqliteEngine(): TestEngine {
  return {
    name: 'sqlite',
    async freshUrl() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-db-'));
      return `sqlite:${path.join(dir, 'guichet.db')}`;
    },
    async cleanup() {},
  };
}

function postgresEngine(): TestEngine {
  const created: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    async freshUrl() {
      const name = `guichet_t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      await admin((c) => c.query(`create database ${name}`));
      created.push(name);
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async cleanup() {
      for (const name of created.splice(0)) {
        await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => {});
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
