// Files a client's message on the ticket it answers, by the workflow's rules: a reply to a
// duplicate goes to the ticket it duplicates; a reply to a closed ticket opens a new ticket linked
// to it (or reopens it, by config); the "confirm" / "still broken" links of a resolution act on it;
// a reply during feedback returns the ticket to its previous status; staff are alerted.
import type { Contact, Ticket } from '../db/schema.ts';
import { changeTicket, findActionMarker, type ChangeDeps } from '../tickets/change-ticket.ts';
import { addClientReply, type EntryInput, type Trx } from '../tickets/ticket-service.ts';
import type { Change } from '../tickets/workflow.ts';

export type ReplyFiling =
  | { kind: 'comment'; ticket: Ticket; entryId: number; queuedMail: boolean; action: string | null }
  | { kind: 'reopen-as-new'; closed: Ticket };

/** The ticket a reply lands on: a duplicate forwards to the one it names (bounded, in case of a cycle). */
export async function followDuplicates(trx: Trx, ticket: Ticket): Promise<Ticket> {
  let current = ticket;
  for (let hops = 0; hops < 10 && current.resolution === 'duplicate' && current.duplicate_of !== null; hops++) {
    const next = await trx.selectFrom('ticket').selectAll().where('number', '=', current.duplicate_of).executeTakeFirst();
    if (!next) break;
    current = next;
  }
  return current;
}

export async function fileReply(
  trx: Trx,
  deps: { change: ChangeDeps; replyToClosed: 'new_ticket' | 'reopen' },
  args: { ticket: Ticket; entry: EntryInput; replyText: string; staffId: number | null; contact: Contact },
  now: Date,
): Promise<ReplyFiling> {
  let ticket = await followDuplicates(trx, args.ticket);
  const actor = args.staffId !== null
    ? { role: 'staff' as const, id: `staff:${args.staffId}` }
    : { role: 'client' as const, id: `contact:${args.contact.id}` };
  let queuedMail = false;

  if (ticket.status === 'closed' && actor.role === 'client') {
    if (deps.replyToClosed === 'new_ticket') return { kind: 'reopen-as-new', closed: ticket };
    const reopened = await changeTicket(trx, deps.change, ticket, { kind: 'reopen' }, { role: 'system', id: 'system' }, now);
    if (reopened.ok) {
      ticket = reopened.ticket;
      queuedMail ||= reopened.notified;
    }
  }

  const entry = await addClientReply(trx, ticket, { ...args.entry, text: args.replyText }, now);
  let action: string | null = null;
  if (actor.role === 'client') {
    const marker = findActionMarker(args.entry.fullText, ticket.number, ticket.action_token);
    const change: Change = marker === 'confirm'
      ? { kind: 'client_confirms' }
      : marker === 'still-broken' ? { kind: 'client_still_broken' } : { kind: 'client_reply' };
    const out = await changeTicket(trx, deps.change, ticket, change, actor, now);
    if (out.ok) {
      ticket = out.ticket;
      queuedMail ||= out.notified;
      action = marker;
    }
    const alerted = await deps.change.notifier.staffAlert(trx, ticket, { newTicket: false, author: args.contact, message: args.replyText }, now);
    queuedMail ||= alerted > 0;
  }
  return { kind: 'comment', ticket, entryId: entry.id, queuedMail, action };
}
