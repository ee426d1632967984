// Staff members as the rest of Guichet sees them: who may act, by address.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function activeStaffByEmail(db: Kysely<Database>, email: string): Promise<{ id: number; name: string } | undefined> {
  return db.selectFrom('staff').select(['id', 'name']).where('email', '=', email.toLowerCase()).where('active', '=', 1).executeTakeFirst();
}
