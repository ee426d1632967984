// Every mail Guichet sends on its own counts against one budget per recipient address (at most a
// few in 10 minutes and in a day), so a responder that looks human cannot keep a loop going. Whether
// a row counts depends on who caused it — a ticket closed by the client's "it works" counts, the same
// notice sent for a staff member's decision does not — so it is recorded on the row, not read from
// its event. The budget is counted at every automatic notice: by recipient, then time.
import type { Kysely } from 'kysely';

/** Events that were automatic whoever caused them, before the row said so. */
const ALWAYS_AUTOMATIC = ['ticket-received', 'project-question', 'account-pending', 'auto-closed'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('automatic', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Mail already sent in the last day keeps counting after the upgrade: a loop running across it
  // is not given a fresh budget.
  await db.updateTable('outbox').set({ automatic: 1 }).where('event', 'in', ALWAYS_AUTOMATIC).execute();
  await db.schema.createIndex('outbox_automatic').on('outbox').columns(['recipient', 'automatic', 'created_at']).execute();
  // It served only the acknowledgement bound the budget replaces.
  await db.schema.dropIndex('outbox_recipient').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('outbox_recipient').on('outbox').columns(['recipient', 'event', 'created_at']).execute();
  await db.schema.dropIndex('outbox_automatic').execute();
  await db.schema.alterTable('outbox').dropColumn('automatic').execute();
}
