// Bounds on what one sender's mail may open: the tickets a contact opened in the last day are
// counted, and compared with a new mail, on every new request; and staff may release a message
// held past that bound, which the intake must then let through.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('ticket_reporter').on('ticket').columns(['reporter_id', 'created_at']).execute();
  await db.schema.alterTable('inbound_message').addColumn('released_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('inbound_message').dropColumn('released_at').execute();
  await db.schema.dropIndex('ticket_reporter').execute();
}
