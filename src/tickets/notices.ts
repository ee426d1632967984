// What tickets/ announces, and nothing of how: this port is declared here and implemented by notify/,
// which picks the recipients and their language, composes each notice's variables and queues the
// mail in the caller's transaction. Tickets decide and record; they never import notify/.
import type { Contact, Ticket } from '../db/schema.ts';
import type { Trx } from './store.ts';
import type { NotificationEvent } from './workflow.ts';

/** Fields a client may set by pseudo-header; the acknowledgement names those that fell back. */
export type FallbackField = 'type' | 'priority' | 'project' | 'products' | 'visibility';
/** `used` is a code for type, priority and visibility (shown translated), a name otherwise. */
export interface Fallback { field: FallbackField; given: string; used: string }

export interface TicketNotices {
  /** A ticket was opened for `reporter`: the acknowledgement, answering the mail that opened it. */
  opened(trx: Trx, e: { ticket: Ticket; reporter: Contact; answering: string | null; unknownTag: number | null; fallbacks: Fallback[] }, now: Date): Promise<void>;
  /** A change the client hears of; the workflow named the notice. */
  changed(trx: Trx, e: { before: Ticket; after: Ticket; notice: NotificationEvent; message?: string }, now: Date): Promise<void>;
  /** A public staff reply, mailed to the ticket's audience. */
  staffReplied(trx: Trx, e: { ticket: Ticket; message: string; authorName: string }, now: Date): Promise<void>;
  /** A client opened or answered a ticket: staff hear of it. */
  clientWrote(trx: Trx, e: { ticket: Ticket; author: Contact; message: string; newTicket: boolean }, now: Date): Promise<void>;
  /** A maintenance announcement; resolves with how many people it was mailed to. */
  announced(trx: Trx, e: { ticket: Ticket; message: string; startsAt: Date; endsAt?: Date; organisation?: string; authorName: string }, now: Date): Promise<number>;
}
