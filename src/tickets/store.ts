// The rows of a ticket: the ticket itself, its thread entries and attachments, its watchers and its
// audit events. Only tickets/ writes them; the verbs (change-ticket, client-mail, staff-verbs) build
// on these functions, each inside the caller's transaction, so a change happens whole or not at all.
import type { Contact, Entry, EntryKind, EventKind, Language, StoredAttachment, Ticket, Trx, Visibility } from '../db/schema.ts';
import { hasRowLocks } from '../db/connect.ts';
import { nextTicketNumber } from './numbering.ts';
import { DEFAULTS, type Priority, type TicketType } from './values.ts';

export type { Trx };

export interface EntryInput {
  kind: EntryKind;
  authorContactId: number | null;
  authorStaffId: number | null;
  authorEmail: string | null;
  text: string;
  fullText: string;
  html: string | null;
  messageId: string | null;
  inboundMessageId: number | null;
  attachments: AttachmentInput[];
}

export type AttachmentInput = StoredAttachment;

export interface OpenTicketInput {
  reporter: Contact | null;
  /** Who opened it, for the audit log: the reporter by default, or `staff:N`. */
  actor?: string;
  organisationId?: number | null;
  summary: string;
  language: Language;
  watchers: string[];
  first: EntryInput;
  fields?: TicketFields;
}

/** The fields a new ticket may be given; the workflow's defaults fill the rest. */
export interface TicketFields {
  type?: TicketType;
  priority?: Priority;
  visibility?: Visibility;
  projectId?: number | null;
  productIds?: number[];
  linkedTo?: number | null;
}

export async function recordEvent(
  trx: Trx,
  e: { ticketId: number | null; actor: string; kind: EventKind; field?: string; from?: string | null; to?: string | null },
  now: Date,
): Promise<void> {
  await trx
    .insertInto('event')
    .values({
      ticket_id: e.ticketId,
      actor: e.actor,
      kind: e.kind,
      field: e.field ?? null,
      from_value: e.from ?? null,
      to_value: e.to ?? null,
      created_at: now.toISOString(),
    })
    .execute();
}

export async function addEntry(trx: Trx, ticketId: number, input: EntryInput, now: Date): Promise<Entry> {
  const values = {
    ticket_id: ticketId,
    kind: input.kind,
    author_contact_id: input.authorContactId,
    author_staff_id: input.authorStaffId,
    author_email: input.authorEmail,
    text: input.text,
    full_text: input.fullText.trim() === input.text.trim() ? null : input.fullText,
    html: input.html,
    message_id: input.messageId,
    inbound_message_id: input.inboundMessageId,
    created_at: now.toISOString(),
  };
  // Only the id comes back: the bodies are ours already, and copying them back costs on every mail.
  const { id } = await trx.insertInto('entry').values(values).returning('id').executeTakeFirstOrThrow();
  const entry: Entry = { id, ...values };
  if (input.attachments.length) {
    await trx
      .insertInto('attachment')
      .values(
        input.attachments.map((a) => ({
          entry_id: entry.id,
          filename: a.filename,
          content_type: a.contentType,
          size: a.size,
          sha256: a.sha256,
          content_id: a.contentId,
          inline: a.inline ? 1 : 0,
        })),
      )
      .execute();
  }
  // A later reply quoting this message in In-Reply-To/References finds the ticket through it.
  if (input.messageId) {
    await trx
      .insertInto('message_ref')
      .values({ message_id: input.messageId, ticket_id: ticketId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return entry;
}

export async function openTicket(trx: Trx, input: OpenTicketInput, now: Date): Promise<{ ticket: Ticket; entry: Entry }> {
  const number = await nextTicketNumber(trx);
  const at = now.toISOString();
  const ticket = await trx
    .insertInto('ticket')
    .values({
      number,
      project_id: input.fields?.projectId ?? null,
      type: input.fields?.type ?? DEFAULTS.type,
      priority: input.fields?.priority ?? DEFAULTS.priority,
      linked_to: input.fields?.linkedTo ?? null,
      status: DEFAULTS.status,
      resolution: DEFAULTS.resolution,
      summary: input.summary,
      reporter_id: input.reporter?.id ?? null,
      organisation_id: input.organisationId !== undefined ? input.organisationId : (input.reporter?.organisation_id ?? null),
      visibility: input.fields?.visibility ?? DEFAULTS.visibility,
      awaiting: 'staff',
      language: input.language,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const entry = await addEntry(trx, ticket.id, input.first, now);
  if (input.fields?.productIds?.length) {
    await trx.insertInto('ticket_product').values(input.fields.productIds.map((product_id) => ({ ticket_id: ticket.id, product_id }))).execute();
  }
  const watchers = [...new Set(input.watchers.map((w) => w.toLowerCase()))].filter((w) => w !== input.reporter?.email);
  if (watchers.length) {
    await trx.insertInto('ticket_watcher').values(watchers.map((email) => ({ ticket_id: ticket.id, email }))).execute();
  }
  await recordEvent(trx, { ticketId: ticket.id, actor: input.actor ?? `contact:${input.reporter?.id}`, kind: 'created', to: String(number) }, now);
  return { ticket, entry };
}

/** A mailed reply: a new entry, and the ticket now waits on staff. */
export async function addMailedReply(trx: Trx, ticket: Ticket, input: EntryInput, now: Date): Promise<Entry> {
  const entry = await addEntry(trx, ticket.id, input, now);
  await trx
    .updateTable('ticket')
    .set({ awaiting: 'staff', updated_at: now.toISOString() })
    .where('id', '=', ticket.id)
    .execute();
  await recordEvent(trx, { ticketId: ticket.id, actor: input.authorStaffId ? `staff:${input.authorStaffId}` : `contact:${input.authorContactId}`, kind: 'commented', to: String(entry.id) }, now);
  return entry;
}

/**
 * The ticket as it stands, locked until the caller's transaction ends: a change decided on it cannot
 * be overtaken by another one running at the same time (it waits, then sees this one's result).
 */
export async function lockTicket(trx: Trx, id: number): Promise<Ticket | undefined> {
  const q = trx.selectFrom('ticket').selectAll().where('id', '=', id);
  return (hasRowLocks(trx) ? q.forUpdate() : q).executeTakeFirst();
}

export async function ticketByNumber(trx: Trx, number: number): Promise<Ticket | undefined> {
  return trx.selectFrom('ticket').selectAll().where('number', '=', number).executeTakeFirst();
}

/** The ticket a reply lands on: a duplicate forwards to the one it names (bounded, in case of a cycle). */
export async function followDuplicates(trx: Trx, ticket: Ticket): Promise<Ticket> {
  let current = ticket;
  for (let hops = 0; hops < 10 && current.resolution === 'duplicate' && current.duplicate_of !== null; hops++) {
    const next = await ticketByNumber(trx, current.duplicate_of);
    if (!next) break;
    current = next;
  }
  return current;
}

/** Who writes: a person known by address, who may not have a contact row yet. */
export interface Writer {
  email: string;
  contactId: number | null;
  organisationId: number | null;
  state: Contact['state'];
  staffId: number | null;
}

/** Who may write on a ticket (DESIGN §4): the reporter, staff, its active watchers, and for a public ticket the active members of its organisation. */
export async function mayWrite(trx: Trx, ticket: Ticket, writer: Writer): Promise<boolean> {
  if (writer.staffId !== null || (writer.contactId !== null && writer.contactId === ticket.reporter_id)) return true;
  // Being named in a Cc gives a voice only to someone whose account is active.
  if (writer.state !== 'active') return false;
  const watcher = await trx
    .selectFrom('ticket_watcher')
    .select('email')
    .where('ticket_id', '=', ticket.id)
    .where('email', '=', writer.email)
    .executeTakeFirst();
  if (watcher) return true;
  return (
    ticket.visibility === 'public' &&
    ticket.organisation_id !== null &&
    writer.organisationId === ticket.organisation_id &&
    writer.state === 'active'
  );
}
