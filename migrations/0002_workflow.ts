// The workflow's additions: project staff (who hears of a project's tickets), the per-ticket
// token that makes the "confirm" / "still broken" mailto links actions rather than plain replies,
// the project chosen for a held message, and the held-mail order for contacts awaiting validation.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project_staff')
    .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addColumn('staff_id', 'integer', (c) => c.notNull().references('staff.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('project_staff_pk', ['project_id', 'staff_id'])
    .execute();
  await db.schema.alterTable('ticket').addColumn('action_token', 'text').execute();
  // The project a client chose for a held message (the "which project?" question).
  await db.schema.alterTable('inbound_message').addColumn('project_id', 'integer').execute();
  // The per-sender acknowledgement bound counts a recipient's recent rows at every new ticket.
  await db.schema.createIndex('outbox_recipient').on('outbox').columns(['recipient', 'event', 'created_at']).execute();
  await db.schema.createIndex('inbound_message_contact').on('inbound_message').columns(['contact_id', 'state']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('inbound_message_contact').execute();
  await db.schema.dropIndex('outbox_recipient').execute();
  await db.schema.alterTable('inbound_message').dropColumn('project_id').execute();
  await db.schema.alterTable('ticket').dropColumn('action_token').execute();
  await db.schema.dropTable('project_staff').execute();
}
