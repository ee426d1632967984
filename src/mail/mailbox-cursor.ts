// The highest UID handled per (mailbox, UIDVALIDITY). A new UIDVALIDITY starts a new cursor at 0;
// re-reading the mailbox then costs a fetch, not a duplicate, because raw bytes dedupe by sha256.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function lastHandledUid(db: Kysely<Database>, mailbox: string, uidValidity: number): Promise<number> {
  const row = await db
    .selectFrom('mailbox_cursor')
    .select('last_uid')
    .where('mailbox', '=', mailbox)
    .where('uid_validity', '=', uidValidity)
    .executeTakeFirst();
  return Number(row?.last_uid ?? 0);
}

export async function advanceCursor(db: Kysely<Database>, mailbox: string, uidValidity: number, uid: number): Promise<void> {
  await db
    .insertInto('mailbox_cursor')
    .values({ mailbox, uid_validity: uidValidity, last_uid: uid })
    .onConflict((oc) =>
      oc.columns(['mailbox', 'uid_validity']).doUpdateSet({ last_uid: uid }).where('mailbox_cursor.last_uid', '<', uid),
    )
    .execute();
}
