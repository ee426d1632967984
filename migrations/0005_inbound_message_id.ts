// Finding an earlier copy of a message by its Message-ID (the same mail delivered twice with other
// trace headers) must not scan every message ever received.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('inbound_message_message_id').on('inbound_message').column('message_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inbound_message_message_id').execute();
}
