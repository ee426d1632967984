// The links that let a staff member choose a password: an invitation (a new member) or a reset (a
// forgotten password). Only the sha256 of a link's token is kept, so a copy of the database opens
// no account; a link is used once (used_at) and refused past expires_at. Reset requests are counted
// per address, known or not, so the form cannot be used to flood someone's inbox.
import type { Kysely } from 'kysely';

type Db = Kysely<any>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export async function up(db: Db): Promise<void> {
  const table = db.schema.createTable('staff_link');
  await (isPostgres(db)
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
    .addColumn('staff_id', 'integer', (c) => c.notNull().references('staff.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('staff_link_staff').on('staff_link').columns(['staff_id', 'kind']).execute();
  await db.schema
    .createTable('reset_request')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reset_request_email').on('reset_request').columns(['email', 'at']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('reset_request').execute();
  await db.schema.dropTable('staff_link').execute();
}
