// What every disposition's handler is given: the transaction, the message as the prepare stage left
// it, the sender as identified, and the notices the intake may send. A handler carries out one
// disposition (decide.ts) and says what it came to; the glue (apply.ts) records that on the row.
import { admitSender, type Sender } from '../../accounts/identify.ts';
import type { AccountNotices } from '../../accounts/notices.ts';
import type { WatcherPolicy } from '../../accounts/watchers.ts';
import type { Contact, InboundMessage, Language, Ticket, Trx } from '../../db/schema.ts';
import type { TicketNotices } from '../../tickets/notices.ts';
import type { EntryInput } from '../../tickets/store.ts';
import type { DecideSettings } from '../decide.ts';
import type { Finished } from '../inbound.ts';
import type { PreparedMail } from '../prepare.ts';

/** The notices the intake sends, implemented by notify/. */
export interface IntakeNotices extends TicketNotices, AccountNotices {
  /** Asks the sender which project their held message is for, one answer link per project. */
  projectQuestion(
    trx: Trx,
    contact: Contact,
    e: { summary: string; choices: Array<{ key: string; name: string }>; inboundId: number; answering: string },
    now: Date,
  ): Promise<void>;
  /** A staff member's mail could not be carried out: they are told why, answering it. */
  staffMailRefused(
    trx: Trx,
    e: { ticket: Ticket; staff: { email: string; name: string }; reason: string; answering: string },
    now: Date,
  ): Promise<void>;
  /** A bounce returned these notifications: they are marked; resolves with whom they were for. */
  returned(trx: Trx, messageIds: string[], reason: string): Promise<string[]>;
}

export interface IntakeSettings extends DecideSettings, WatcherPolicy {
  /** The support domain: Guichet's Message-IDs are minted under it. */
  domain: string;
  /** The servers whose Authentication-Results are believed (authenticate.ts). */
  trustedAuthservIds: string[];
  /** The reply tokens' key (protocol/reply-token.ts). */
  replySecret: string;
  tagPrefix: string;
  defaultLanguage: Language;
}

/** A stored message and what the prepare stage made of it. */
export interface ApplyInput extends Omit<PreparedMail, 'kind'> {
  inbound: InboundMessage;
}

export interface Handling {
  trx: Trx;
  notices: IntakeNotices;
  settings: IntakeSettings;
  now: Date;
  message: ApplyInput;
  /** Null only for mail that names no sender. */
  sender: Sender | null;
  /** The cleaned subject: what a new ticket is called. */
  summary: string;
}

export type Handler<D> = (h: Handling, d: D) => Promise<Finished>;

/** The sender's contact row, made on a first mail: the handlers that file or hold mail need one. */
export function admit(h: Handling): Promise<Contact> {
  return admitSender(h.trx, h.sender!, h.message.mail.headers, h.now);
}

/** The thread entry a person's mail becomes, with `text` as its visible part. */
export function entryOf(h: Handling, contact: Contact, text: string): EntryInput {
  const { message } = h;
  return {
    kind: 'email',
    authorContactId: contact.id,
    authorStaffId: h.sender?.staffId ?? null,
    authorEmail: message.mail.from?.address ?? null,
    text,
    fullText: message.bodyText,
    html: message.html,
    messageId: message.mail.messageId,
    inboundMessageId: message.inbound.id,
    attachments: message.attachments,
  };
}
