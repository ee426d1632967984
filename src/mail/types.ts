// The typed values that flow between the intake stages. Every stage after `parse` works on these,
// never on mailparser's objects, so the decisions (classify, route, reply extraction) stay pure.

export interface Address {
  /** Lower-cased address, the identity of a contact. */
  address: string;
  name: string;
}

export interface InboundAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

export interface InboundMail {
  messageId: string;
  inReplyTo: string[];
  references: string[];
  subject: string;
  from: Address | null;
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
 * Where a raw message came from: an IMAP mailbox slot, or (uid null) the MTA pipe (`pipe`) or the
 * embedded SMTP intake (`smtp`), where the sha256 of the bytes alone identifies a delivery.
 */
export interface MailSource {
  mailbox: string;
  uidValidity: number | null;
  uid: number | null;
}
