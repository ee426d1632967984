// The highest UID handled per (mailbox, UIDVALIDITY): the highest stored for that slot, or the
// cursor row, which only records UIDs whose bytes duplicated an earlier message (they store no
// row of their own). A new UIDVALIDITY starts at 0; re-reading the mailbox then costs a fetch, not
// a duplicate, because raw bytes dedupe by sha256.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function lastHandledUid(db: Kysely<Database>, mailbox: string, uidValidity: number): Promise<number> {
  const [cursor, stored] = await Promise.all([
    db
      .selectFrom('mailbox_cursor')
      .select('last_uid')
      .where('mailbox', '=', mailbox)
      .where('uid_validity', '=', uidValidity)
      .executeTakeFirst(),
    db
      .selectFrom('inbound_message')
      .select((eb) => eb.fn.max('uid').as('uid'))
      .where('mailbox', '=', mailbox)
      .where('uid_validity', '=', uidValidity)
      // A pending row is a message stored but never applied (a crash): fetch it again to finish it.
      .where('state', '!=', 'pending')
      .executeTakeFirst(),
  ]);
  return Math.max(Number(cursor?.last_uid ?? 0), Number(stored?.uid ?? 0));
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
