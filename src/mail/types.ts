// The typed values that flow between the intake stages. Every stage after `parse` works on these,
// never on mailparser's objects, so the decisions (classify, route, reply extraction) stay pure.
import type { StoredAttachment } from '../db/schema.ts';

export interface Address {
  /** Lower-cased address, the identity of a contact. */
  address: string;
  name: string;
}

/** What the intake knows of an attachment once its bytes are stored. */
export type AttachmentMeta = StoredAttachment;

export interface InboundAttachment extends AttachmentMeta {
  /** The bytes; null when the parse wrote them to disk as they were decoded (a large message). */
  content: Buffer | null;
  /** The first 64 KB, what classification reads (a returned message's headers). */
  head: Buffer;
}

export interface TraceHeader {
  name: 'received' | 'authentication-results';
  /** Unfolded. */
  value: string;
}

export interface InboundMail {
  messageId: string;
  inReplyTo: string[];
  references: string[];
  subject: string;
  from: Address | null;
  /** How many From addresses the mail names: more than one and it is nobody's. */
  fromCount: number;
  /** Received and Authentication-Results headers, top first: what sender authentication reads. */
  trace: TraceHeader[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  date: Date | null;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
  html: string | null;
  attachments: InboundAttachment[];
}

/**
 * What crosses from the prepare stage to apply: the parsed mail without its bodies (the prepare
 * stage hands over their text and sanitised HTML) and with its attachments already on disk.
 */
export type MailFacts = Omit<InboundMail, 'attachments' | 'text' | 'html'> & { attachments: AttachmentMeta[] };

/**
 * Where a raw message came from: an IMAP mailbox slot, or (uid null) the MTA pipe (`pipe`) or the
 * embedded SMTP intake (`smtp`), where the sha256 of the bytes alone identifies a delivery.
 */
export interface MailSource {
  mailbox: string;
  uidValidity: number | null;
  uid: number | null;
}
