// The API's ticket list counts what a caller sees: for an agent, the tickets of their projects and
// of the shared inbox, with or without a status. (project_id, status) answers those counts from the
// index alone, one range per project and one for the shared inbox, where the existing indexes left
// a read of every matching ticket (or, on PostgreSQL, of the whole table).
//
// Analysed at once: on SQLite an index without statistics beside analysed ones looks selective, and
// the list's own query (newest first, LIMIT 26) would sort every ticket of the projects through it
// instead of walking the number index.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('ticket_project_status').on('ticket').columns(['project_id', 'status']).execute();
  await sql`analyze ticket`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('ticket_project_status').execute();
}
