// What the admin's People and Mail pages need from the intake and the outbox, which http/ may not
// import: declared here, implemented by the composition root (src/app.ts) with mail/ and notify/.
// An admin built without them (an HTTP app that only serves health) has no mail pages.
import type { AccountNotices } from '../../accounts/notices.ts';
import type { Language, Trx } from '../../db/schema.ts';

/** Where a message went when it was run through the intake again. */
export interface ReplayResult {
  inboundId: number;
  state: string;
  outcome: string;
  ticketNumber: number | null;
}

export interface MailAddress {
  address: string;
  name: string;
}

/** A stored message parsed again from its raw bytes: only what the pages show. */
export interface ParsedMailView {
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  date: Date | null;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  text: string;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
}

export interface InboundPort {
  /** Back to pending and through the whole intake again (a validated contact's held mail, a quarantined or failed message). */
  replay(inboundId: number): Promise<ReplayResult>;
  /** A message held past its sender's bound of new tickets, let through; null when it is not held. */
  release(inboundId: number): Promise<ReplayResult | null>;
  /** Staff decided the message is to be dropped: ignored for good, with who decided; false when it was not waiting for staff. */
  reject(inboundId: number, staffEmail: string): Promise<boolean>;
  /** A mail written in the demo's "write as a client" form, through the whole intake. */
  deliver(raw: Buffer): Promise<ReplayResult>;
  /** The intake's own parser, so the pages show what the intake read. */
  parse(raw: Buffer): Promise<ParsedMailView>;
}

export interface OutboxPort {
  /** A failed notification back to pending, due now; false when the id names no failed notification. */
  retry(id: number): Promise<boolean>;
}

/** A link that lets a staff member choose a password: an invitation or a password reset. */
export interface StaffLinkNotice {
  kind: 'invite' | 'reset';
  email: string;
  name: string;
  /** Built from the config's publicUrl, never from a request. */
  link: string;
  expiresAt: Date;
  lang: Language;
  /** The admin who sent an invitation. */
  invitedBy?: string;
}

export interface StaffLinkMail {
  /** Queues the mail in the caller's transaction, so a link exists if and only if its mail does. */
  queue(trx: Trx, notice: StaffLinkNotice, now: Date): Promise<void>;
}

export interface AdminPorts {
  inbound: InboundPort;
  outbox: OutboxPort;
  /** What refusing a contact tells them (notify/ implements it). */
  accountNotices: AccountNotices;
  /** Invitations and password resets; without it the admin offers neither. */
  staffLinks?: StaffLinkMail;
}
