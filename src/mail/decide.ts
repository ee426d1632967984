// Stage "decide": what to do with one inbound message, as a pure function of what the earlier
// stages found out (classification, sender, route). One disposition per message, each carried out
// by one small handler (handlers/), the way Action Mailbox routes a mail to one mailbox. Every rule
// of who may do what by mail is here, in order, and tested by a table (tests/unit/decide.test.ts).
import type { Sender } from '../accounts/identify.ts';
import type { Status } from '../db/schema.ts';
import { isOurAddress } from '../protocol/addresses.ts';
import type { Classification } from './classify.ts';

export interface Facts {
  /** The sender's address, canonical (parse.ts); null when the mail names none. */
  from: string | null;
  /** How many From addresses the mail names. */
  fromCount: number;
  /**
   * Evidence an outsider cannot forge that the From address is genuine, said in words (a reply
   * token made for it, a trusted DMARC or aligned DKIM pass); null when there is none.
   */
  authenticated: string | null;
  /** The From domain's DMARC policy, as a trusted server applied it, disowns the mail. */
  dmarcFail: string | null;
  classification: Classification;
  /** Our own mail came back: its Message-ID is one Guichet minted, or it carries our loop header; which, in words. */
  ownMail: string | null;
  /** An earlier message with the same Message-ID from the same sender (30 days): this is a copy of it. */
  copyOf: number | null;
  /**
   * The body answers "which project?" for a held message: whether that message can still be
   * released, and whether the project named is one the sender's organisation may use.
   */
  projectAnswer: { key: string; inboundId: number; releasable: boolean; allowed: boolean } | null;
  /**
   * The sender's tickets of the last 24 hours, for a mail that would open one: how many, and one
   * opened by a mail with the same subject and text (this mail is a copy of that request).
   */
  openedToday: { count: number; sameAs: number | null };
  /** Staff released this message past the sender's bound of new tickets. */
  released: boolean;
}

/** The route (route.ts) with what deciding needs of the tickets it names. */
export type RouteFacts =
  | { kind: 'new'; unknownTag: number | null }
  | {
      kind: 'reply';
      /** The ticket the mail names. */
      number: number;
      /** Where a reply lands: the ticket a duplicate forwards to, else the same. */
      target: { number: number; status: Status };
      /** Whether the sender may write on the named ticket (reporter, watcher, organisation, staff). */
      mayWrite: boolean;
      /** … and on the ticket it lands on, which may be another organisation's. */
      mayWriteTarget: boolean;
    };

/**
 * What a client's mail needs to act: `participant`, the From address alone (spoofable);
 * `authenticated`, evidence to change anything (without it a reply is a comment flagged for staff);
 * `strict`, evidence or quarantine.
 */
export type ClientAuth = 'participant' | 'authenticated' | 'strict';

export interface DecideSettings {
  supportAddresses: string[];
  replyToClosed: 'new_ticket' | 'reopen';
  clients: ClientAuth;
  /** New tickets one sender may open in a day; past it their mail is held for staff. */
  maxNewTicketsPerDay: number;
}

export type Disposition =
  | { kind: 'quarantine'; reason: string; ticketNumber: number | null }
  | { kind: 'ignore'; reason: string }
  /** Auto-reply, bounce or list mail: never answered; logged on the ticket it names when its sender may write there. */
  | { kind: 'automatic'; ticketNumber: number | null }
  /** Held, never dropped: validating the contact replays it. `tell` once that the account waits. */
  | { kind: 'hold'; reason: string; tell: boolean }
  /** A client's mail on a ticket; not `trusted`: a comment only, flagged for staff, the workflow does not act on it. */
  | { kind: 'reply'; ticketNumber: number; reopen: boolean; trusted: boolean }
  /** Staff answering from their mail program: a public reply (or a note), with commands. */
  | { kind: 'staff-reply'; ticketNumber: number }
  /** The same request again (same sender, subject and text within a day): a comment on its ticket, unacknowledged. */
  | { kind: 'repeat'; ticketNumber: number }
  /** Releases the held message onto the chosen project. */
  | { kind: 'project-answer'; key: string; inboundId: number; trusted: boolean }
  /** Not `trusted`: opened all the same, flagged for staff (authentication.clients `authenticated`). */
  | { kind: 'new-ticket'; linkedTo: number | null; unknownTag: number | null; trusted: boolean };

/** The outcome of a mail held past its sender's bound of new tickets: staff release it (`guichet inbound release`). */
export const NEW_TICKETS_HELD = "held for staff: the sender's bound of new tickets a day (intake.maxNewTicketsPerDay) is reached";

export function decide(facts: Facts, sender: Sender | null, route: RouteFacts, settings: DecideSettings): Disposition {
  if (!facts.from || !sender) return { kind: 'quarantine', reason: 'no sender address', ticketNumber: null };
  const named = route.kind === 'reply' ? route.number : null;
  if (facts.fromCount > 1) return { kind: 'quarantine', reason: `${facts.fromCount} From addresses: nobody can say who wrote it`, ticketNumber: named };
  if (isOurAddress(facts.from, settings.supportAddresses)) return { kind: 'ignore', reason: 'sent from the support address itself (loop guard)' };
  if (facts.ownMail) return { kind: 'ignore', reason: `our own mail came back (${facts.ownMail}): loop guard` };
  if (facts.copyOf !== null) return { kind: 'ignore', reason: `duplicate of message ${facts.copyOf} (same Message-ID from the same sender)` };

  const staff = sender.staffId !== null;
  // Someone Guichet knows is the likeliest name to borrow: a forgery their domain disowns never acts.
  if (facts.dmarcFail && (staff || sender.contact)) {
    return { kind: 'quarantine', reason: `${facts.dmarcFail}: mail claiming to come from a known ${staff ? 'staff member' : 'contact'}`, ticketNumber: named };
  }
  if (staff && !facts.authenticated) return { kind: 'quarantine', reason: 'unauthenticated mail from a staff address', ticketNumber: named };
  if (facts.classification.kind !== 'human') {
    // A stranger's machine writes nothing on a ticket, whatever ticket its mail names.
    return { kind: 'automatic', ticketNumber: route.kind === 'reply' && route.mayWrite ? route.number : null };
  }

  // Staff got here authenticated.
  const evidence = staff || facts.authenticated !== null;
  if (!evidence && settings.clients === 'strict') {
    return { kind: 'quarantine', reason: `unauthenticated mail from ${facts.from} (no reply token, no DMARC or DKIM pass)`, ticketNumber: named };
  }
  const trusted = evidence || settings.clients === 'participant';
  let linkedTo: number | null = null;
  if (route.kind === 'reply') {
    if (sender.state === 'blocked' || !route.mayWrite) {
      return { kind: 'quarantine', reason: `sender ${facts.from} may not write on ticket #${route.number}`, ticketNumber: route.number };
    }
    if (!route.mayWriteTarget) {
      return {
        kind: 'quarantine',
        reason: `sender ${facts.from} may not write on ticket #${route.target.number}, which ticket #${route.number} duplicates`,
        ticketNumber: route.number,
      };
    }
    if (staff) return { kind: 'staff-reply', ticketNumber: route.target.number };
    const closed = route.target.status === 'closed';
    if (!closed) return { kind: 'reply', ticketNumber: route.target.number, reopen: false, trusted };
    // Reopening is a change: an untrusted reply to a closed ticket starts a new one instead.
    if (settings.replyToClosed === 'reopen' && trusted) return { kind: 'reply', ticketNumber: route.target.number, reopen: true, trusted };
    // A reply to a closed ticket starts a new one that points back at it.
    linkedTo = route.target.number;
  }

  if (!staff && sender.state !== 'active') {
    const pending = sender.state === 'pending';
    return { kind: 'hold', reason: pending ? 'awaiting account validation' : `contact ${sender.state}`, tell: pending && !sender.contact?.notified_at };
  }
  const answer = route.kind === 'new' ? facts.projectAnswer : null;
  if (answer?.releasable && !answer.allowed) {
    return { kind: 'quarantine', reason: `project ${answer.key} is not one the sender's organisation may use`, ticketNumber: null };
  }
  if (answer?.releasable) return { kind: 'project-answer', key: answer.key, inboundId: answer.inboundId, trusted };
  // A sender whose mail opens ticket after ticket is a loop or a flood: copies join their ticket,
  // and past the day's bound staff decide (never dropped, never answered).
  const bounded = !staff && !facts.released;
  if (bounded && facts.openedToday.sameAs !== null) return { kind: 'repeat', ticketNumber: facts.openedToday.sameAs };
  if (bounded && facts.openedToday.count >= settings.maxNewTicketsPerDay) {
    return { kind: 'hold', reason: `${NEW_TICKETS_HELD} (${facts.openedToday.count} opened in the last 24 hours)`, tell: false };
  }
  return { kind: 'new-ticket', linkedTo, unknownTag: route.kind === 'new' ? route.unknownTag : null, trusted };
}
