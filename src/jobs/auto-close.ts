// Closes tickets left `resolved` for workflow.autoCloseDays (the client did not answer the
// verification request), each with its notice. One transaction per ticket, so one failure does not
// hold back the others and a crash resumes where it stopped.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { silentLog, type Log } from '../log.ts';
import { changeTicket, SYSTEM } from '../tickets/change-ticket.ts';
import type { TicketNotices } from '../tickets/notices.ts';

export async function autoCloseResolved(
  db: Kysely<Database>,
  deps: { notices: TicketNotices; autoCloseDays: number },
  now: Date,
  log: Log = silentLog,
): Promise<number[]> {
  const cutoff = new Date(now.getTime() - deps.autoCloseDays * 86_400_000).toISOString();
  const due = await db
    .selectFrom('ticket')
    .select('id')
    .where('status', '=', 'resolved')
    .where('resolved_at', '<=', cutoff)
    .orderBy('resolved_at')
    .execute();
  const closed: number[] = [];
  for (const { id } of due) {
    try {
      const number = await db.transaction().execute(async (trx) => {
        const ticket = await trx.selectFrom('ticket').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        if (ticket.status !== 'resolved') return null; // answered meanwhile
        const out = await changeTicket(trx, deps.notices, ticket, { kind: 'auto_close' }, SYSTEM, now);
        return out.ok ? ticket.number : null;
      });
      if (number !== null) closed.push(number);
    } catch (err) {
      log('error', `auto-close of ticket id ${id} failed: ${(err as Error).message}`);
    }
  }
  if (closed.length) log('info', `auto-closed ${closed.map((n) => `#${n}`).join(', ')}`);
  return closed;
}
