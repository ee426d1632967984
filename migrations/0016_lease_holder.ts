// A claimed notification names the process that claimed it, so that when that process is gone
// (killed, restarted) another takes the notification over at once instead of after its lease.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('lease_holder', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('lease_holder').execute();
}
