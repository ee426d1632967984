// Ticket numbers come from one counter row incremented inside the creating transaction: the row
// lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) serialises concurrent creators, and
// a number is never handed out twice, even after the ticket is deleted or the process restarts.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

export async function nextTicketNumber(trx: Transaction<Database>): Promise<number> {
  const row = await trx
    .updateTable('counter')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'ticket')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
