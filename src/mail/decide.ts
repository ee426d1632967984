// Stage "decide": what to do with one inbound message, as a pure function of what the earlier
// stages found out (classification, sender, route). One disposition per message, each carried out
// by one small handler (handlers/), the way Action Mailbox routes a mail to one mailbox. Every rule
// of who may do what by mail is here, in order, and tested by a table (tests/unit/decide.test.ts).
import type { Sender } from '../accounts/identify.ts';
import type { Status } from '../db/schema.ts';
import { isOurAddress } from '../protocol/addresses.ts';
import type { Classification } from './classify.ts';

export interface Facts {
  /** The sender's address, lower-cased; null when the mail names none. */
  from: string | null;
  classification: Classification;
  /** Its Message-ID is one Guichet minted: our own mail came back. */
  ownMessageId: boolean;
  /** An earlier message with the same Message-ID from the same sender (30 days): this is a copy of it. */
  copyOf: number | null;
  /**
   * The body answers "which project?" for a held message: whether that message can still be
   * released, and whether the project named is one the sender's organisation may use.
   */
  projectAnswer: { key: string; inboundId: number; releasable: boolean; allowed: boolean } | null;
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

export interface DecideSettings {
  supportAddresses: string[];
  replyToClosed: 'new_ticket' | 'reopen';
}

export type Disposition =
  | { kind: 'quarantine'; reason: string; ticketNumber: number | null }
  | { kind: 'ignore'; reason: string }
  /** Auto-reply, bounce or list mail: never answered; logged on the ticket it names when its sender may write there. */
  | { kind: 'automatic'; ticketNumber: number | null }
  /** Held, never dropped: validating the contact replays it. `tell` once that the account waits. */
  | { kind: 'hold'; reason: string; tell: boolean }
  | { kind: 'reply'; ticketNumber: number; as: 'client' | 'staff'; reopen: boolean }
  /** Releases the held message onto the chosen project. */
  | { kind: 'project-answer'; key: string; inboundId: number }
  | { kind: 'new-ticket'; linkedTo: number | null; unknownTag: number | null };

export function decide(facts: Facts, sender: Sender | null, route: RouteFacts, settings: DecideSettings): Disposition {
  if (!facts.from || !sender) return { kind: 'quarantine', reason: 'no sender address', ticketNumber: null };
  if (isOurAddress(facts.from, settings.supportAddresses)) return { kind: 'ignore', reason: 'sent from the support address itself (loop guard)' };
  if (facts.ownMessageId) return { kind: 'ignore', reason: 'our own mail came back (its Message-ID is ours): loop guard' };
  if (facts.copyOf !== null) return { kind: 'ignore', reason: `duplicate of message ${facts.copyOf} (same Message-ID from the same sender)` };
  if (facts.classification.kind !== 'human') {
    // A stranger's machine writes nothing on a ticket, whatever ticket its mail names.
    return { kind: 'automatic', ticketNumber: route.kind === 'reply' && route.mayWrite ? route.number : null };
  }

  const staff = sender.staffId !== null;
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
    const closed = route.target.status === 'closed';
    if (staff || !closed) return { kind: 'reply', ticketNumber: route.target.number, as: staff ? 'staff' : 'client', reopen: false };
    if (settings.replyToClosed === 'reopen') return { kind: 'reply', ticketNumber: route.target.number, as: 'client', reopen: true };
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
  if (answer?.releasable) return { kind: 'project-answer', key: answer.key, inboundId: answer.inboundId };
  return { kind: 'new-ticket', linkedTo, unknownTag: route.kind === 'new' ? route.unknownTag : null };
}
