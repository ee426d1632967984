// Each body is stored once. A ticket's description is its first entry's text (the API still shows
// it as `description`), and an entry's full_text is null when it equals its text, which is the case
// of every new ticket's first mail: before this, a new ticket stored the same body three times.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // The description was always written as the first entry's text; refuse to drop one that is not.
  const differing = await sql<{ n: number }>`
    select count(*) as n from ticket t
    where t.description <> coalesce((select e.text from entry e where e.ticket_id = t.id order by e.id limit 1), '')
  `.execute(db);
  if (Number(differing.rows[0]?.n ?? 0) > 0) {
    throw new Error(`${differing.rows[0]!.n} ticket(s) have a description that is not their first entry's text; migration 0003 would lose it`);
  }
  await db.schema.alterTable('ticket').dropColumn('description').execute();

  // A nullable column cannot replace a NOT NULL one in place on SQLite: add, copy, drop, rename.
  await db.schema.alterTable('entry').addColumn('full_text_if_different', 'text').execute();
  await db.updateTable('entry').set({ full_text_if_different: sql`case when full_text = text then null else full_text end` }).execute();
  await db.schema.alterTable('entry').dropColumn('full_text').execute();
  await db.schema.alterTable('entry').renameColumn('full_text_if_different', 'full_text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('entry').addColumn('full_text_always', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.updateTable('entry').set({ full_text_always: sql`coalesce(full_text, text)` }).execute();
  await db.schema.alterTable('entry').dropColumn('full_text').execute();
  await db.schema.alterTable('entry').renameColumn('full_text_always', 'full_text').execute();

  await db.schema.alterTable('ticket').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db
    .updateTable('ticket')
    .set({ description: sql`coalesce((select e.text from entry e where e.ticket_id = ticket.id order by e.id limit 1), '')` })
    .execute();
}
