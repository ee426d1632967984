// From this version on, a watcher hears of a ticket only as an active contact. Watchers recorded
// before had no contact row and were mailed all the same: they become active contacts here, so an
// upgrade silences nobody who was being told.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const orphans = await db
    .selectFrom('ticket_watcher')
    .select('ticket_watcher.email')
    .distinct()
    .where((eb) => eb.not(eb.exists(eb.selectFrom('contact').select('contact.id').whereRef('contact.email', '=', 'ticket_watcher.email'))))
    .execute();
  const at = new Date().toISOString();
  for (const { email } of orphans) {
    await db.insertInto('contact').values({ email, name: '', state: 'active', created_at: at }).execute();
  }
}

export async function down(): Promise<void> {
  // The contacts made here are indistinguishable from others by then: nothing to undo.
}
