// The transactional outbox: a notification is a row written in the same transaction as the change
// that causes it, already rendered, so a crash can neither lose it nor send it for a change that
// was rolled back. The outbox worker sends what is due; staff list and retry failed rows from the
// command line (`guichet outbox`).
import type { Kysely } from 'kysely';
import { clearBouncing } from '../accounts/contacts.ts';
import type { AutoSubmitted, Database, OutboxRow, Trx } from '../db/schema.ts';
import { mintMessageId } from '../protocol/message-id.ts';

export interface Notification {
  ticketId: number | null;
  /** Names the notification in the Message-ID, so a thread reads well in raw headers. */
  ticketNumber: number | null;
  event: string;
  recipient: string;
  subject: string;
  html: string;
  text: string;
  inReplyTo: string | null;
  references: string[];
  replyTo: string | null;
  autoSubmitted: AutoSubmitted;
  /** Sent by Guichet on its own rather than for a staff member's action: counts against the recipient's budget (budget.ts). */
  automatic: boolean;
}

export async function enqueueNotification(
  trx: Trx,
  n: Notification,
  ctx: { domain: string; now: Date },
): Promise<Pick<OutboxRow, 'id' | 'message_id'>> {
  const messageId = mintMessageId(ctx.domain, n.ticketNumber, n.event);
  const row = await trx
    .insertInto('outbox')
    .values({
      ticket_id: n.ticketId,
      event: n.event,
      recipient: n.recipient,
      subject: n.subject,
      message_id: messageId,
      in_reply_to: n.inReplyTo,
      references: n.references.length ? n.references.join(' ') : null,
      reply_to: n.replyTo,
      auto_submitted: n.autoSubmitted,
      automatic: n.automatic ? 1 : 0,
      html: n.html,
      text: n.text,
      state: 'pending',
      attempts: 0,
      next_attempt_at: ctx.now.toISOString(),
      created_at: ctx.now.toISOString(),
    })
    // Not returningAll(): the rendered bodies would be copied back for nothing.
    .returning(['id', 'message_id'])
    .executeTakeFirstOrThrow();
  // Replies to this notification find their ticket through the Message-ID they quote.
  if (n.ticketId !== null) {
    await trx.insertInto('message_ref').values({ message_id: messageId, ticket_id: n.ticketId }).execute();
  }
  return row;
}

/**
 * A bounce returned these notifications (by Message-ID): they are marked bounced with the reason.
 * Resolves with the recipients they were for. Only our own mail can be marked, so a forged report
 * about mail Guichet never sent marks nothing.
 */
export async function markReturned(trx: Trx, messageIds: string[], reason: string): Promise<string[]> {
  if (!messageIds.length) return [];
  const returned = await trx
    .updateTable('outbox')
    .set({ state: 'bounced', last_error: reason })
    .where('message_id', 'in', messageIds)
    .where('state', 'in', ['sent', 'pending'])
    .returning('recipient')
    .execute();
  return [...new Set(returned.map((r) => r.recipient))];
}

/** One line of `guichet outbox list`: a notification without its bodies. */
export type OutboxSummary = Pick<OutboxRow, 'id' | 'event' | 'recipient' | 'subject' | 'state' | 'attempts' | 'next_attempt_at' | 'last_error' | 'created_at'>;

/** The notifications not sent yet (pending and failed), or only the failed ones; oldest first. */
export async function listOutbox(db: Kysely<Database>, opts: { failed?: boolean } = {}): Promise<OutboxSummary[]> {
  return db
    .selectFrom('outbox')
    .select(['id', 'event', 'recipient', 'subject', 'state', 'attempts', 'next_attempt_at', 'last_error', 'created_at'])
    .where('state', 'in', opts.failed ? ['failed'] : ['pending', 'failed'])
    .orderBy('id')
    .execute();
}

export class OutboxError extends Error {}

/**
 * Puts failed notifications back to pending, due now, their attempts kept (the retry window still
 * counts from when they were queued: a retried row that fails transiently again fails at once, a
 * second retry is a staff decision). With `clearBounce`, their recipients' bounce marks are lifted
 * too (accounts/ writes contacts); otherwise a bouncing contact stays marked. Resolves with the rows
 * put back. An id that names no failed notification is an error, and nothing changes.
 */
export async function retryFailed(
  db: Kysely<Database>,
  which: { ids: number[] } | { allFailed: true },
  opts: { clearBounce?: boolean; now: Date },
): Promise<Array<Pick<OutboxRow, 'id' | 'recipient'>>> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('outbox').select(['id', 'recipient', 'state']).where('state', '=', 'failed');
    if ('ids' in which) {
      if (!which.ids.length) return [];
      query = query.where('id', 'in', which.ids);
    }
    const rows = await query.orderBy('id').execute();
    if ('ids' in which) {
      const missing = which.ids.filter((id) => !rows.some((r) => r.id === id));
      if (missing.length) throw new OutboxError(`no failed notification with id ${missing.join(', ')}`);
    }
    if (!rows.length) return [];
    await trx
      .updateTable('outbox')
      .set({ state: 'pending', next_attempt_at: opts.now.toISOString(), lease_until: null, lease_holder: null })
      .where('id', 'in', rows.map((r) => r.id))
      .where('state', '=', 'failed')
      .execute();
    if (opts.clearBounce) await clearBouncing(trx, [...new Set(rows.map((r) => r.recipient))]);
    return rows.map(({ id, recipient }) => ({ id, recipient }));
  });
}
