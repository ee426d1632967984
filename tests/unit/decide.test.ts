// The disposition of every kind of inbound message, as a table: who wrote (nobody, ourselves, a
// machine, staff, an active / pending / refused / blocked contact), where it goes (a new request, a
// reply on an open, closed or duplicate ticket the sender may or may not write on) and the settings.
import { describe, expect, it } from 'vitest';
import type { Sender } from '../../src/accounts/identify.ts';
import type { ContactState } from '../../src/db/schema.ts';
import { decide, type DecideSettings, type Disposition, type Facts, type RouteFacts } from '../../src/mail/decide.ts';

const human: Facts['classification'] = { kind: 'human' };
const facts = (over: Partial<Facts> = {}): Facts => ({
  from: 'ada@client.test', fromCount: 1, authenticated: null, dmarcFail: null, classification: human, ownMail: null, copyOf: null, projectAnswer: null,
  openedToday: { count: 0, sameAs: null }, released: false, ...over,
});
const signed = (over: Partial<Facts> = {}) => facts({ authenticated: 'dmarc=pass (mx.help.test)', ...over });
const sender = (state: ContactState, over: { staff?: boolean; notified?: boolean; known?: boolean } = {}): Sender => ({
  email: 'ada@client.test', name: 'Ada', staffId: over.staff ? 3 : null, state, organisationId: null,
  contact: over.known === false ? null : ({ id: 7, state, notified_at: over.notified ? '2026-01-01T00:00:00Z' : null } as Sender['contact']),
});
const fresh: RouteFacts = { kind: 'new', unknownTag: null };
const onTicket = (status: 'new' | 'feedback' | 'resolved' | 'closed', mayWrite = true, target = 12, mayWriteTarget = mayWrite): RouteFacts =>
  ({ kind: 'reply', number: 12, target: { number: target, status }, mayWrite, mayWriteTarget });
const settings: DecideSettings = { supportAddresses: ['support@help.test'], replyToClosed: 'new_ticket', clients: 'participant', maxNewTicketsPerDay: 20 };
const authenticated: DecideSettings = { ...settings, clients: 'authenticated' };
const strict: DecideSettings = { ...settings, clients: 'strict' };
const reopening: DecideSettings = { ...settings, replyToClosed: 'reopen' };

const cases: Array<[string, Facts, Sender | null, RouteFacts, DecideSettings, Disposition]> = [
  ['mail naming no sender is quarantined', facts({ from: null }), null, fresh, settings,
    { kind: 'quarantine', reason: 'no sender address', ticketNumber: null }],
  ['our own address coming back is ignored', facts({ from: 'support@help.test' }), sender('active'), onTicket('new'), settings,
    { kind: 'ignore', reason: 'sent from the support address itself (loop guard)' }],
  ['a plus variant of our address is ours too', facts({ from: 'support+shop@help.test' }), sender('active'), fresh, settings,
    { kind: 'ignore', reason: 'sent from the support address itself (loop guard)' }],
  ['our own Message-ID coming back is ignored, whoever it seems to come from', facts({ ownMail: 'its Message-ID is ours' }), sender('active'), onTicket('new'), settings,
    { kind: 'ignore', reason: 'our own mail came back (its Message-ID is ours): loop guard' }],
  ['a second copy of a message (same Message-ID, same sender) is marked a duplicate', facts({ copyOf: 41 }), sender('active'), fresh, settings,
    { kind: 'ignore', reason: 'duplicate of message 41 (same Message-ID from the same sender)' }],
  ["a stranger's auto-reply naming a ticket writes nothing on it", facts({ classification: { kind: 'auto_reply', reason: 'Auto-Submitted' } }), sender('active'), onTicket('new', false), settings,
    { kind: 'automatic', ticketNumber: null }],
  ['a reply to a duplicate is refused when the sender may not write on the ticket it lands on', facts(), sender('active'), onTicket('new', true, 4, false), settings,
    { kind: 'quarantine', reason: 'sender ada@client.test may not write on ticket #4, which ticket #12 duplicates', ticketNumber: 12 }],
  ['a project answer naming a project the organisation may not use is quarantined', facts({ projectAnswer: { key: 'HR', inboundId: 5, releasable: true, allowed: false } }), sender('active'), fresh, settings,
    { kind: 'quarantine', reason: "project HR is not one the sender's organisation may use", ticketNumber: null }],
  ['an auto-reply on a ticket is automatic, logged on the ticket', facts({ classification: { kind: 'auto_reply', reason: 'Auto-Submitted' } }), sender('active'), onTicket('new'), settings,
    { kind: 'automatic', ticketNumber: 12 }],
  ['a bounce of nothing we know is automatic, on no ticket', facts({ classification: { kind: 'bounce', reason: 'failed', status: '5.1.1' } }), sender('pending', { known: false }), fresh, settings,
    { kind: 'automatic', ticketNumber: null }],
  ['automatic mail from a blocked contact is still only automatic', facts({ classification: { kind: 'bulk', reason: 'List-Id' } }), sender('blocked'), fresh, settings,
    { kind: 'automatic', ticketNumber: null }],
  ['a new request from an active contact opens a ticket', facts(), sender('active'), fresh, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: true }],
  ['a tag naming no ticket opens one and says so', facts(), sender('active'), { kind: 'new', unknownTag: 99 }, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: 99, trusted: true }],
  ['a first mail from a pending contact is held and they are told', facts(), sender('pending', { known: false }), fresh, settings,
    { kind: 'hold', reason: 'awaiting account validation', tell: true }],
  ['a later mail from a pending contact is held silently', facts(), sender('pending', { notified: true }), fresh, settings,
    { kind: 'hold', reason: 'awaiting account validation', tell: false }],
  ['a refused contact is held silently', facts(), sender('refused'), fresh, settings,
    { kind: 'hold', reason: 'contact refused', tell: false }],
  ['a blocked contact is held silently', facts(), sender('blocked'), fresh, settings,
    { kind: 'hold', reason: 'contact blocked', tell: false }],
  ['staff writing a new request open a ticket, whatever their contact state', signed(), sender('pending', { staff: true }), fresh, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: true }],
  ['a client reply on an open ticket is a reply', facts(), sender('active'), onTicket('feedback'), settings,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: true }],
  ['a reply lands on the ticket a duplicate names', facts(), sender('active'), onTicket('new', true, 4), settings,
    { kind: 'reply', ticketNumber: 4, reopen: false, trusted: true }],
  ['a stranger on a ticket is quarantined', facts(), sender('active'), onTicket('new', false), settings,
    { kind: 'quarantine', reason: 'sender ada@client.test may not write on ticket #12', ticketNumber: 12 }],
  ['a blocked contact on their own ticket is quarantined', facts(), sender('blocked'), onTicket('new', true), settings,
    { kind: 'quarantine', reason: 'sender ada@client.test may not write on ticket #12', ticketNumber: 12 }],
  ['whoever the ticket lets write (the glue says: reporter, active watcher, organisation, staff) replies, whatever their account state', facts(), sender('pending', { notified: true }), onTicket('resolved'), settings,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: true }],
  ['a client reply to a closed ticket opens a new one linked to it', facts(), sender('active'), onTicket('closed'), settings,
    { kind: 'new-ticket', linkedTo: 12, unknownTag: null, trusted: true }],
  ['… or reopens it, by config', facts(), sender('active'), onTicket('closed'), reopening,
    { kind: 'reply', ticketNumber: 12, reopen: true, trusted: true }],
  ['a pending contact replying to a closed ticket is held', facts(), sender('pending', { notified: true }), onTicket('closed'), settings,
    { kind: 'hold', reason: 'awaiting account validation', tell: false }],
  ['staff replying to a closed ticket write on it', signed(), sender('active', { staff: true }), onTicket('closed'), settings,
    { kind: 'staff-reply', ticketNumber: 12 }],
  ['staff write on any ticket as staff', facts({ authenticated: 'reply token for ticket #12' }), sender('active', { staff: true }), onTicket('new'), settings,
    { kind: 'staff-reply', ticketNumber: 12 }],
  ['a staff address is never trusted on From alone', facts(), sender('active', { staff: true }), onTicket('new'), settings,
    { kind: 'quarantine', reason: 'unauthenticated mail from a staff address', ticketNumber: 12 }],
  ['… not even for a new request, nor an auto-reply', facts({ classification: { kind: 'auto_reply', reason: 'Auto-Submitted' } }), sender('active', { staff: true }), fresh, settings,
    { kind: 'quarantine', reason: 'unauthenticated mail from a staff address', ticketNumber: null }],
  ['several From addresses are nobody', facts({ fromCount: 2 }), sender('active'), onTicket('new'), settings,
    { kind: 'quarantine', reason: '2 From addresses: nobody can say who wrote it', ticketNumber: 12 }],
  ["a DMARC fail on a known contact's address is quarantined, in every mode", facts({ dmarcFail: 'dmarc=fail for client.test (mx.help.test)' }), sender('active'), onTicket('new'), settings,
    { kind: 'quarantine', reason: 'dmarc=fail for client.test (mx.help.test): mail claiming to come from a known contact', ticketNumber: 12 }],
  ['… even with a reply token', facts({ dmarcFail: 'dmarc=fail for client.test (mx.help.test)', authenticated: 'reply token for ticket #12' }), sender('active', { staff: true }), onTicket('new'), settings,
    { kind: 'quarantine', reason: 'dmarc=fail for client.test (mx.help.test): mail claiming to come from a known staff member', ticketNumber: 12 }],
  ["a DMARC fail on a stranger's first mail holds it like any other", facts({ dmarcFail: 'dmarc=fail for client.test (mx.help.test)' }), sender('pending', { known: false }), fresh, settings,
    { kind: 'hold', reason: 'awaiting account validation', tell: true }],
  ['authenticated: an unauthenticated reply is a flagged comment', facts(), sender('active'), onTicket('feedback'), authenticated,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: false }],
  ['authenticated: a signed reply acts', signed(), sender('active'), onTicket('feedback'), authenticated,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: true }],
  ['authenticated: an unauthenticated reply never reopens a closed ticket', facts(), sender('active'), onTicket('closed'), { ...authenticated, replyToClosed: 'reopen' },
    { kind: 'new-ticket', linkedTo: 12, unknownTag: null, trusted: false }],
  ['authenticated: an unauthenticated new request opens a flagged ticket', facts(), sender('active'), fresh, authenticated,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: false }],
  ['strict: an unauthenticated reply is quarantined', facts(), sender('active'), onTicket('feedback'), strict,
    { kind: 'quarantine', reason: 'unauthenticated mail from ada@client.test (no reply token, no DMARC or DKIM pass)', ticketNumber: 12 }],
  ['strict: a reply with its token acts', facts({ authenticated: 'reply token for ticket #12' }), sender('active'), onTicket('feedback'), strict,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: true }],
  ['the same request again within a day joins its ticket, unanswered', facts({ openedToday: { count: 3, sameAs: 2 } }), sender('active'), fresh, settings,
    { kind: 'repeat', ticketNumber: 2 }],
  ["past the day's bound of new tickets the mail is held for staff", facts({ openedToday: { count: 20, sameAs: null } }), sender('active'), fresh, settings,
    { kind: 'hold', reason: "held for staff: the sender's bound of new tickets a day (intake.maxNewTicketsPerDay) is reached (20 opened in the last 24 hours)", tell: false }],
  ['… also as a follow-up of a closed ticket', facts({ openedToday: { count: 20, sameAs: null } }), sender('active'), onTicket('closed'), settings,
    { kind: 'hold', reason: "held for staff: the sender's bound of new tickets a day (intake.maxNewTicketsPerDay) is reached (20 opened in the last 24 hours)", tell: false }],
  ['… until staff release it', facts({ openedToday: { count: 20, sameAs: 4 }, released: true }), sender('active'), fresh, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: true }],
  ['staff have no such bound', signed({ openedToday: { count: 50, sameAs: 4 } }), sender('active', { staff: true }), fresh, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: true }],
  ['strict: a bounce is still read (machines do not sign as their contact)', facts({ classification: { kind: 'bounce', reason: 'failed', status: '5.1.1' } }), sender('active'), onTicket('new'), strict,
    { kind: 'automatic', ticketNumber: 12 }],
  ['the answer to "which project?" releases the held message', facts({ projectAnswer: { key: 'SHOP', inboundId: 5, releasable: true, allowed: true } }), sender('active'), fresh, settings,
    { kind: 'project-answer', key: 'SHOP', inboundId: 5, trusted: true }],
  ['a project answer with nothing left to release is a new request', facts({ projectAnswer: { key: 'SHOP', inboundId: 5, releasable: false, allowed: false } }), sender('active'), fresh, settings,
    { kind: 'new-ticket', linkedTo: null, unknownTag: null, trusted: true }],
  ['a project marker quoted in a reply stays a reply', facts({ projectAnswer: { key: 'SHOP', inboundId: 5, releasable: true, allowed: true } }), sender('active'), onTicket('new'), settings,
    { kind: 'reply', ticketNumber: 12, reopen: false, trusted: true }],
  ['a pending contact answering "which project?" is held first', facts({ projectAnswer: { key: 'SHOP', inboundId: 5, releasable: true, allowed: true } }), sender('pending', { notified: true }), fresh, settings,
    { kind: 'hold', reason: 'awaiting account validation', tell: false }],
];

describe('decide', () => {
  it.each(cases)('%s', (_name, f, s, route, config, expected) => {
    expect(decide(f, s, route, config)).toEqual(expected);
  });

  it('covers every disposition', () => {
    const kinds = new Set(cases.map((c) => c[5].kind));
    expect([...kinds].sort()).toEqual(['automatic', 'hold', 'ignore', 'new-ticket', 'project-answer', 'quarantine', 'repeat', 'reply', 'staff-reply']);
  });
});
