// A bounce marks the contact as well as the notification it returns: Guichet stops mailing an address
// that bounced until its owner writes again, which shows the mailbox is back.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('contact').addColumn('bounced_at', 'text').execute();
  await db.schema.alterTable('contact').addColumn('bounce_reason', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('contact').dropColumn('bounce_reason').execute();
  await db.schema.alterTable('contact').dropColumn('bounced_at').execute();
}
