// The transactional outbox: a notification is a row written in the same transaction as the change
// that causes it, already rendered, so a crash can neither lose it nor send it for a change that
// was rolled back. The outbox worker sends what is due.
import type { AutoSubmitted, OutboxRow, Trx } from '../db/schema.ts';
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
