// What tickets/ announces, and nothing of how: this port is declared here and implemented by notify/,
// which picks the recipients and their language, composes each notice's variables and queues the
// mail in the caller's transaction. Tickets decide and record; they never import notify/.
import type { Contact, Ticket } from '../db/schema.ts';
import type { Trx } from './store.ts';
import type { Actor, NotificationEvent } from './workflow.ts';

/** Fields a client may set by pseudo-header; the acknowledgement names those that fell back. */
export type FallbackField = 'type' | 'priority' | 'project' | 'products' | 'visibility';
/** `used` is a code for type, priority and visibility (shown translated), a name otherwise. */
export interface Fallback { field: FallbackField; given: string; used: string }

/**
 * Who caused what a notice tells, as the workflow knows its actors: a staff member (the notice
 * carries their decision or words), the client's own mail, or the system (a timer, a rule such as
 * reopening on a reply). A notice that only answers mail or a timer is Guichet speaking on its own,
 * and the implementation may bound it; one that carries a staff member's action always goes.
 */
export type NoticeCause = Actor;

export interface TicketNotices {
  /**
   * A ticket was opened for `reporter`: the acknowledgement, answering the mail that opened it.
   * `cause` is `client` (their mail opened it) unless said otherwise, e.g. `staff` for a ticket
   * staff opened on the client's behalf.
   */
  opened(trx: Trx, e: { ticket: Ticket; reporter: Contact; answering: string | null; unknownTag: number | null; fallbacks: Fallback[]; cause?: NoticeCause }, now: Date): Promise<void>;
  /** A change the client hears of; the workflow named the notice, `cause` is the change's actor. */
  changed(trx: Trx, e: { before: Ticket; after: Ticket; notice: NotificationEvent; message?: string; cause: NoticeCause }, now: Date): Promise<void>;
  /** A public staff reply, mailed to the ticket's audience. */
  staffReplied(trx: Trx, e: { ticket: Ticket; message: string; authorName: string }, now: Date): Promise<void>;
  /** A client opened or answered a ticket: staff hear of it. */
  clientWrote(trx: Trx, e: { ticket: Ticket; author: Contact; message: string; newTicket: boolean }, now: Date): Promise<void>;
  /** A maintenance announcement; resolves with how many people it was mailed to. */
  announced(trx: Trx, e: { ticket: Ticket; message: string; startsAt: Date; endsAt?: Date; organisation?: string; authorName: string }, now: Date): Promise<number>;
}
