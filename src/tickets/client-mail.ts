// What a person's mail does to tickets once the intake has decided where it goes: it opens a ticket
// (acknowledged, staff alerted), or it joins a ticket's thread by the workflow's rules — a client's
// answer during feedback returns the ticket to its previous status, the "confirm" / "still broken"
// links of a resolution act on it, and staff hear of it.
import type { Contact, Entry, Language, Ticket } from '../db/schema.ts';
import { findActionMarker, type ClientAction } from '../protocol/markers.ts';
import { changeTicket, SYSTEM } from './change-ticket.ts';
import type { Fallback, TicketNotices } from './notices.ts';
import { addMailedReply, openTicket, recordEvent, type EntryInput, type TicketFields, type Trx } from './store.ts';
import type { Change } from './workflow.ts';

export interface MailedTicket {
  reporter: Contact;
  summary: string;
  /** The first entry; its text is the description. */
  entry: EntryInput;
  watchers: string[];
  fields: TicketFields;
  language: Language;
  /** The Message-ID the acknowledgement answers. */
  answering: string;
  /** A `[#N]` tag in the subject that named no ticket: the acknowledgement says so. */
  unknownTag: number | null;
  fallbacks: Fallback[];
}

export async function openFromMail(trx: Trx, notices: TicketNotices, m: MailedTicket, now: Date): Promise<{ ticket: Ticket; entry: Entry }> {
  const opened = await openTicket(trx, { reporter: m.reporter, summary: m.summary, language: m.language, watchers: m.watchers, first: m.entry, fields: m.fields }, now);
  await notices.opened(trx, { ticket: opened.ticket, reporter: m.reporter, answering: m.answering, unknownTag: m.unknownTag, fallbacks: m.fallbacks }, now);
  await notices.clientWrote(trx, { ticket: opened.ticket, author: m.reporter, message: m.entry.text, newTicket: true }, now);
  return opened;
}

export interface MailedReply {
  ticket: Ticket;
  entry: EntryInput;
  author: Contact;
  /** A client's reply to a closed ticket when the installation reopens it (workflow.replyToClosed). */
  reopen: boolean;
  /**
   * Nothing proves the sender wrote it (authentication.clients `authenticated`): a comment only,
   * flagged for staff, that changes nothing on the ticket.
   */
  untrusted?: string;
}

/** Files a client's reply and the workflow acts on it, unless untrusted. Returns the ticket as it now stands. */
export async function replyByMail(
  trx: Trx,
  notices: TicketNotices,
  r: MailedReply,
  now: Date,
): Promise<{ ticket: Ticket; entry: Entry; action: ClientAction | null }> {
  let ticket = r.ticket;
  if (r.reopen) {
    const reopened = await changeTicket(trx, notices, ticket, { kind: 'reopen' }, SYSTEM, now);
    if (reopened.ok) ticket = reopened.ticket;
  }
  const entry = await addMailedReply(trx, ticket, r.entry, now);
  const actor = { role: 'client' as const, id: `contact:${r.author.id}` };
  if (r.untrusted) {
    await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'unverified', field: 'entry', from: String(entry.id), to: r.untrusted }, now);
    await notices.clientWrote(trx, { ticket, author: r.author, message: r.entry.text, newTicket: false }, now);
    return { ticket, entry, action: null };
  }
  const marker = findActionMarker(r.entry.fullText, ticket.number, ticket.action_token);
  const change: Change = marker === 'confirm'
    ? { kind: 'client_confirms' }
    : marker === 'still-broken' ? { kind: 'client_still_broken' } : { kind: 'client_reply' };
  const out = await changeTicket(trx, notices, ticket, change, actor, now);
  if (out.ok) ticket = out.ticket;
  await notices.clientWrote(trx, { ticket, author: r.author, message: r.entry.text, newTicket: false }, now);
  return { ticket, entry, action: out.ok ? marker : null };
}

/** Automated mail (an auto-reply, a bounce, list mail) naming a ticket: logged on it, nothing more. */
export async function logAutomaticMail(
  trx: Trx,
  ticket: Ticket,
  mail: { from: string; kind: 'auto_reply' | 'bounce' | 'bulk'; reason: string },
  now: Date,
): Promise<void> {
  await recordEvent(trx, { ticketId: ticket.id, actor: `email:${mail.from}`, kind: mail.kind, to: mail.reason }, now);
}
