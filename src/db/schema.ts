// The schema as types: one interface per table, the Database map Kysely checks every query against.
// Timestamps are ISO-8601 UTC strings on both engines so rows compare and sort the same everywhere.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Timestamp = string;

export interface CounterTable {
  name: string;
  value: number;
}

export interface ProjectTable {
  id: Generated<number>;
  key: string;
  name: string;
  default_type: string;
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
  language: string | null;
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
  type: string;
  priority: string;
  status: string;
  resolution: string;
  duplicate_of: number | null;
  linked_to: number | null;
  summary: string;
  reporter_id: number | null;
  organisation_id: number | null;
  assignee_id: number | null;
  visibility: 'public' | 'private';
  urgency: string | null;
  impact: string | null;
  cost_estimate: string | null;
  awaiting: 'client' | 'staff' | null;
  previous_status: string | null;
  language: string;
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
  auto_submitted: string;
  html: string;
  text: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_error: string | null;
  server_response: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface EventTable {
  id: Generated<number>;
  ticket_id: number | null;
  actor: string;
  kind: string;
  field: string | null;
  from_value: string | null;
  to_value: string | null;
  created_at: Timestamp;
}

export interface Database {
  counter: CounterTable;
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
}

export type Ticket = Selectable<TicketTable>;
export type NewTicket = Insertable<TicketTable>;
export type TicketUpdate = Updateable<TicketTable>;
export type Contact = Selectable<ContactTable>;
export type Entry = Selectable<EntryTable>;
export type InboundMessage = Selectable<InboundMessageTable>;
export type OutboxRow = Selectable<OutboxTable>;
