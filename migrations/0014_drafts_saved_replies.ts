// What staff type is theirs until they send it: one draft per staff member and ticket, saved as
// they type, so a reload or a crash loses nothing. And the answers staff give every day, per
// project (or for all), kept as saved replies with the client's name and the ticket filled in.
import type { Kysely } from 'kysely';

type Db = Kysely<any>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('draft')
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('ticket.id').onDelete('cascade'))
    .addColumn('staff_id', 'integer', (c) => c.notNull().references('staff.id').onDelete('cascade'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('draft_pk', ['ticket_id', 'staff_id'])
    .execute();
  const id = isPostgres(db)
    ? db.schema.createTable('saved_reply').addColumn('id', 'serial', (c) => c.primaryKey())
    : db.schema.createTable('saved_reply').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await id
    .addColumn('project_id', 'integer', (c) => c.references('project.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('saved_reply').execute();
  await db.schema.dropTable('draft').execute();
}
