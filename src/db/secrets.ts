// The installation's own secrets: made once, at the first start that needs one, and shared by every
// process through the database. Two processes starting together both try to insert; the first
// insert wins and both read it back.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export async function installationSecret(db: Kysely<Database>, name: string, now: Date): Promise<string> {
  const existing = await db.selectFrom('installation_secret').select('value').where('name', '=', name).executeTakeFirst();
  if (existing) return existing.value;
  await db
    .insertInto('installation_secret')
    .values({ name, value: randomBytes(32).toString('base64url'), created_at: now.toISOString() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('installation_secret').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
