// The budget of automatic mail: what Guichet sends on its own (acknowledgements, "which project?",
// account notices, notices a client's mail or a timer caused) is counted per recipient address over
// the outbox rows of the last 10 minutes and of the last day. A responder that looks human and
// answers every mail with a new one gets a few answers, then silence: the loop dies on our side,
// whatever the other side does. Mail carrying a staff member's action is never counted nor withheld.
import type { Trx } from '../db/schema.ts';

export interface AutomaticMailBudget {
  maxPer10Minutes: number;
  maxPerDay: number;
}

export const DEFAULT_AUTOMATIC_MAIL_BUDGET: AutomaticMailBudget = { maxPer10Minutes: 3, maxPerDay: 10 };

const TEN_MINUTES = 10 * 60_000;
const DAY = 24 * 3600_000;

/** Null when one more automatic mail to `recipient` fits; otherwise which bound it would pass. */
export type BudgetVerdict = null | { bound: '10 minutes' | 'day'; max: number };

/**
 * Counts the recipient's automatic rows in the caller's transaction, so notices queued earlier in
 * the same batch count too. Several processes on one database may each let one more through at the
 * same instant: a loop is still cut at the next round.
 */
export async function checkBudget(trx: Trx, recipient: string, budget: AutomaticMailBudget, now: Date): Promise<BudgetVerdict> {
  const since10 = new Date(now.getTime() - TEN_MINUTES).toISOString();
  const sinceDay = new Date(now.getTime() - DAY).toISOString();
  const row = await trx
    .selectFrom('outbox')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('day'),
      eb.fn.sum<number | string | null>(eb.case().when('created_at', '>=', since10).then(1).else(0).end()).as('recent'),
    ])
    .where('recipient', '=', recipient)
    .where('automatic', '=', 1)
    .where('created_at', '>=', sinceDay)
    .executeTakeFirstOrThrow();
  if (Number(row.recent ?? 0) >= budget.maxPer10Minutes) return { bound: '10 minutes', max: budget.maxPer10Minutes };
  if (Number(row.day) >= budget.maxPerDay) return { bound: 'day', max: budget.maxPerDay };
  return null;
}
