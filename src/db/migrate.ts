// Runs the numbered migrations of migrations/ in name order, at `guichet migrate` and at start.
// Concurrent starts are safe: Kysely's migrator takes a lock table on both engines.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Only files named NNNN_name.ts|js are migrations, so the folder may hold notes or helpers. */
class NumberedMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{4}_[\w-]+\.(ts|js)$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      migrations[file.replace(/\.(ts|js)$/, '')] = await import(pathToFileURL(path.join(this.dir, file)).href);
    }
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<string[]> {
  return migrateTo(db, null, dir);
}

/** Up (or down) to the named migration; null for the latest. */
export async function migrateTo(db: Kysely<any>, target: string | null, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new NumberedMigrationProvider(dir) });
  const { error, results } = target === null ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? '');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${cause}`.trim());
  }
  return (results ?? []).map((r) => r.migrationName);
}
