// The schema as types: one interface per table, the Database map Kysely checks every query against.
// Timestamps are ISO-8601 UTC strings on both engines so rows compare and sort the same everywhere.
import type { Generated, Insertable, Selectable, Transaction, Updateable } from 'kysely';

export type Timestamp = string;

// The ticket vocabulary of DESIGN §2, stored in English; shown in the contact's language by the
// notification catalogues. The lists are the source of the union types and of every validator.
export const TYPES = ['correction', 'evolution', 'assistance', 'maintenance'] as const;
export const PRIORITIES = ['minor', 'major', 'blocking', 'critical'] as const;
export const STATUSES = ['new', 'feedback', 'confirmed', 'assigned', 'resolved', 'closed'] as const;
export const RESOLUTIONS = [
  'open', 'fixed', 'reopened', 'unable_to_reproduce', 'unable_to_fix', 'duplicate', 'not_a_bug',
  'suspended', 'wont_fix',
] as const;
export const VISIBILITIES = ['public', 'private'] as const;

export type TicketType = (typeof TYPES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type Status = (typeof STATUSES)[number];
export type Resolution = (typeof RESOLUTIONS)[number];
export type Visibility = (typeof VISIBILITIES)[number];
/** Who the ticket waits on: the red "feedback awaited" marker is `client`. */
export type Awaiting = 'client' | 'staff' | null;
export type Language = 'en' | 'fr';

export interface CounterTable {
  name: string;
  value: number;
}

/** Totals the database keeps by trigger (`tickets`: the number of ticket rows), so no page counts a whole table. */
export interface TallyTable {
  name: string;
  value: number;
}

export interface ProjectTable {
  id: Generated<number>;
  key: string;
  name: string;
  default_type: TicketType;
  created_at: Timestamp;
}

export interface ProjectAddressTable {
  address: string;
  project_id: number;
}

export interface ProductTable {
  id: Generated<number>;
  project_id: number;
  name: string;
}

export interface OrganisationTable {
  id: Generated<number>;
  name: string;
  requires_validation: number;
  created_at: Timestamp;
}

export interface OrganisationDomainTable {
  domain: string;
  organisation_id: number;
}

export interface ProjectStaffTable {
  project_id: number;
  staff_id: number;
}

export interface OrganisationProjectTable {
  organisation_id: number;
  project_id: number;
}

export type ContactState = 'pending' | 'active' | 'blocked' | 'refused';

export interface ContactTable {
  id: Generated<number>;
  email: string;
  name: string;
  organisation_id: number | null;
  state: ContactState;
  language: Language | null;
  consent_at: Timestamp | null;
  notified_at: Timestamp | null;
  /** Set by a permanent bounce of our mail; no notification goes to the contact until it writes again. */
  bounced_at: Timestamp | null;
  bounce_reason: string | null;
  created_at: Timestamp;
}

export interface StaffTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string;
  role: 'admin' | 'agent';
  active: number;
  created_at: Timestamp;
}

export interface TicketTable {
  id: Generated<number>;
  number: number;
  project_id: number | null;
  type: TicketType;
  priority: Priority;
  status: Status;
  resolution: Resolution;
  duplicate_of: number | null;
  linked_to: number | null;
  summary: string;
  reporter_id: number | null;
  organisation_id: number | null;
  assignee_id: number | null;
  visibility: Visibility;
  urgency: string | null;
  impact: string | null;
  cost_estimate: string | null;
  awaiting: Awaiting;
  /** When `awaiting` took its current value; kept by a trigger (migration 0012), null when awaiting is. */
  awaiting_since: Generated<Timestamp | null>;
  previous_status: Status | null;
  language: Language;
  created_at: Timestamp;
  updated_at: Timestamp;
  resolved_at: Timestamp | null;
  closed_at: Timestamp | null;
  /** Random, renewed at each resolution: proves a "confirm"/"still broken" reply came from our link. */
  action_token: string | null;
}

export interface TicketProductTable {
  ticket_id: number;
  product_id: number;
}

export interface TicketWatcherTable {
  ticket_id: number;
  email: string;
}

export type EntryKind = 'email' | 'reply' | 'note' | 'event';

export interface EntryTable {
  id: Generated<number>;
  ticket_id: number;
  kind: EntryKind;
  author_contact_id: number | null;
  author_staff_id: number | null;
  author_email: string | null;
  text: string;
  /** The whole body with its quotes; null when it is the same as text. */
  full_text: string | null;
  html: string | null;
  message_id: string | null;
  inbound_message_id: number | null;
  created_at: Timestamp;
}

/** An attachment whose bytes are on disk (content-addressed by sha256), before its row is written. */
export interface StoredAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  contentId: string | null;
  inline: boolean;
}

export interface AttachmentTable {
  id: Generated<number>;
  entry_id: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content_id: string | null;
  inline: number;
}

export type InboundState = 'pending' | 'processed' | 'quarantined' | 'ignored' | 'failed' | 'held';

export interface InboundMessageTable {
  id: Generated<number>;
  mailbox: string;
  uid_validity: number | null;
  uid: number | null;
  message_id: string | null;
  sha256: string;
  raw_path: string;
  size: number;
  state: InboundState;
  /** `ticket` / `comment` / the quarantine or ignore reason / the error. */
  outcome: string | null;
  ticket_id: number | null;
  entry_id: number | null;
  contact_id: number | null;
  project_id: number | null;
  attempts: number;
  received_at: Timestamp;
  processed_at: Timestamp | null;
  /** Staff released it past the sender's bound of new tickets: the intake lets it through. */
  released_at: Generated<Timestamp | null>;
}

export interface MailboxCursorTable {
  mailbox: string;
  uid_validity: number;
  last_uid: number;
}

export interface MessageRefTable {
  message_id: string;
  ticket_id: number;
}

export type OutboxState = 'pending' | 'sent' | 'failed' | 'bounced';
/** `auto-replied` answers a message; `auto-generated` is a notice nobody asked for (RFC 3834). */
export type AutoSubmitted = 'auto-replied' | 'auto-generated';

export interface OutboxTable {
  id: Generated<number>;
  ticket_id: number | null;
  event: string;
  recipient: string;
  subject: string;
  message_id: string;
  in_reply_to: string | null;
  references: string | null;
  reply_to: string | null;
  auto_submitted: AutoSubmitted;
  html: string;
  text: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  /** The process holding the lease (connect.ts, PROCESS_HOLDER); null when not claimed. */
  lease_holder: string | null;
  last_error: string | null;
  server_response: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** 1 when Guichet sent it on its own (not carrying a staff member's action): counts against the recipient's budget. */
  automatic: Generated<number>;
}

/**
 * What an audit row records: a ticket made, a field changed, a thread entry, automated mail on the
 * ticket, a notice withheld past the recipient's budget of automatic mail (`to_value` the address).
 */
export type EventKind = 'created' | 'changed' | 'commented' | 'replied' | 'noted' | 'auto_reply' | 'bounce' | 'bulk' | 'mail_withheld'
  /** A client's comment nothing authenticated (authentication.clients `authenticated`): flagged for staff. */
  | 'unverified';

export interface EventTable {
  id: Generated<number>;
  ticket_id: number | null;
  actor: string;
  kind: EventKind;
  field: string | null;
  from_value: string | null;
  to_value: string | null;
  created_at: Timestamp;
}

export interface StaffSessionTable {
  /** sha256 (hex) of the session cookie's value. */
  id: string;
  staff_id: number;
  /** The session's anti-CSRF token, sent back with every form. */
  csrf: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface StaffTokenTable {
  id: Generated<number>;
  staff_id: number;
  name: string;
  /** sha256 (hex) of the token, which is shown once and never stored. */
  token_hash: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface StaffLinkTable {
  id: Generated<number>;
  staff_id: number;
  /** An invitation (a new member chooses a password) or a password reset. */
  kind: 'invite' | 'reset';
  /** sha256 (hex) of the link's token, which is only ever in the mail. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** Set when the link was used, or when another link of the member made it void. */
  used_at: Timestamp | null;
}

/** One request for a password reset link, for an address whether staff or not: the bound on them. */
export interface ResetRequestTable {
  email: string;
  at: Timestamp;
}

export interface LoginFailureTable {
  email: string;
  at: Timestamp;
}

export interface DraftTable {
  ticket_id: number;
  staff_id: number;
  text: string;
  updated_at: Timestamp;
}

export interface SavedReplyTable {
  id: Generated<number>;
  /** Null: offered on every project's tickets. */
  project_id: number | null;
  title: string;
  /** May hold {{name}} (the client's name) and {{number}} (the ticket's). */
  body: string;
  created_at: Timestamp;
}

export interface InstallationSecretTable {
  name: string;
  value: string;
  created_at: Timestamp;
}

export interface Database {
  counter: CounterTable;
  tally: TallyTable;
  project: ProjectTable;
  project_address: ProjectAddressTable;
  product: ProductTable;
  organisation: OrganisationTable;
  organisation_domain: OrganisationDomainTable;
  organisation_project: OrganisationProjectTable;
  project_staff: ProjectStaffTable;
  contact: ContactTable;
  staff: StaffTable;
  ticket: TicketTable;
  ticket_product: TicketProductTable;
  ticket_watcher: TicketWatcherTable;
  entry: EntryTable;
  attachment: AttachmentTable;
  inbound_message: InboundMessageTable;
  message_ref: MessageRefTable;
  mailbox_cursor: MailboxCursorTable;
  outbox: OutboxTable;
  event: EventTable;
  installation_secret: InstallationSecretTable;
  draft: DraftTable;
  saved_reply: SavedReplyTable;
  staff_session: StaffSessionTable;
  login_failure: LoginFailureTable;
  staff_token: StaffTokenTable;
  staff_link: StaffLinkTable;
  reset_request: ResetRequestTable;
}

export type Ticket = Selectable<TicketTable>;
export type NewTicket = Insertable<TicketTable>;
export type TicketUpdate = Updateable<TicketTable>;
export type Contact = Selectable<ContactTable>;
export type Staff = Selectable<StaffTable>;
export type Entry = Selectable<EntryTable>;
export type InboundMessage = Selectable<InboundMessageTable>;
export type OutboxRow = Selectable<OutboxTable>;

/** The caller's transaction: every domain function takes one, so a change commits whole or not at all. */
export type Trx = Transaction<Database>;
