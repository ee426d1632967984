// The life of an inbound message's row, and its only writer: recorded `pending` once its bytes are on
// disk (raw-store.ts), claimed by the transaction that applies it, finished with its outcome (processed, quarantined, ignored,
// held, failed), reset to pending for a replay, released from hold by a project answer. Keeping the
// transitions here is what lets a crash anywhere replay a message without doing it twice.
import type { Kysely } from 'kysely';
import { commitDurably } from '../db/connect.ts';
import type { Database, InboundMessage, InboundState, Trx } from '../db/schema.ts';
import type { StoredBytes } from './raw-store.ts';
import type { MailSource } from './types.ts';

export interface StoredRaw {
  row: InboundMessage;
  /** True when these bytes or this mailbox slot were already stored; its state says what is left. */
  duplicate: boolean;
}


/**
 * The inbound_message row of bytes already on disk: inserted, or the one a first delivery left.
 * Its transaction commits durably: once it has, the source is told it may forget the message
 * (IMAP `\Seen` or move, SMTP 250, `guichet ingest` exit 0), so a power cut must not take it back.
 */
export async function recordRaw(db: Kysely<Database>, bytes: StoredBytes, source: MailSource, now: Date): Promise<StoredRaw> {
  await commitDurably(db);
  const sha = bytes.sha256;
  const existing = async () =>
    db
      .selectFrom('inbound_message')
      .selectAll()
      .where((eb) =>
        source.uid === null || source.uidValidity === null
          ? eb('sha256', '=', sha)
          : eb.or([
              eb('sha256', '=', sha),
              eb.and([
                eb('mailbox', '=', source.mailbox),
                eb('uid_validity', '=', source.uidValidity),
                eb('uid', '=', source.uid),
              ]),
            ]),
      )
      .orderBy('id')
      .executeTakeFirst();

  // Insert first: a new message (the common case) costs one statement, a redelivery two.
  const inserted = await db
    .insertInto('inbound_message')
    .values({
      mailbox: source.mailbox,
      uid_validity: source.uidValidity,
      uid: source.uid,
      message_id: bytes.messageId,
      sha256: sha,
      raw_path: bytes.rawPath,
      size: bytes.size,
      state: 'pending',
      attempts: 0,
      received_at: now.toISOString(),
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, duplicate: false };
  // Already stored (a redelivery, or another process got there first): that row is the message.
  const raced = await existing();
  if (!raced) throw new Error('inbound message vanished after a unique conflict');
  return { row: raced, duplicate: true };
}

/** What applying a message came to, as its row records it. */
export interface Finished {
  state: InboundState;
  outcome: string;
  ticketNumber: number | null;
  ticketId?: number | null;
  entryId?: number | null;
  contactId?: number | null;
  /** A held message this one released, to run through the pipeline after the commit. */
  replay?: number;
}

/**
 * Claims a pending row for the caller's transaction. On PostgreSQL a second process applying the
 * same message waits here, then sees it is no longer pending and does nothing.
 */
export async function claim(trx: Trx, row: InboundMessage): Promise<boolean> {
  const claimed = await trx
    .updateTable('inbound_message')
    .set({ attempts: row.attempts + 1 })
    .where('id', '=', row.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

/** Reasons quote what mail said (addresses, errors of the parser): a NUL in them is refused by PostgreSQL. */
const printable = (reason: string) => reason.replaceAll('\u0000', '');

export async function finish(trx: Trx, id: number, f: Finished, now: Date): Promise<void> {
  await trx
    .updateTable('inbound_message')
    .set({
      state: f.state,
      outcome: printable(f.outcome),
      ticket_id: f.ticketId ?? null,
      entry_id: f.entryId ?? null,
      contact_id: f.contactId ?? null,
      processed_at: now.toISOString(),
    })
    .where('id', '=', id)
    .execute();
}

/** A message that could not be applied (prepare rejected it, or applying threw): recorded with the reason. */
export async function reject(db: Kysely<Database> | Trx, id: number, state: InboundState, reason: string, now: Date): Promise<void> {
  await db
    .updateTable('inbound_message')
    .set({ state, outcome: printable(reason), processed_at: now.toISOString() })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}

/** Back to pending, for a replay (held mail once its sender is validated, failed mail after a fix). */
export async function reset(db: Kysely<Database>, id: number): Promise<void> {
  await db.updateTable('inbound_message').set({ state: 'pending', outcome: null, processed_at: null }).where('id', '=', id).execute();
}

/**
 * Staff let a held message through its sender's bound of new tickets: marked, and pending again for
 * the replay that follows. False when the row is not held (nothing to release).
 */
export async function release(db: Kysely<Database>, id: number, now: Date): Promise<boolean> {
  const done = await db
    .updateTable('inbound_message')
    .set({ state: 'pending', outcome: null, processed_at: null, released_at: now.toISOString() })
    .where('id', '=', id)
    .where('state', '=', 'held')
    .executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}

const AWAITING_PROJECT = 'awaiting project choice';

/** The outcome of a message held until its sender says which project. */
export function awaitingProject(contactId: number): Finished {
  return { state: 'held', outcome: AWAITING_PROJECT, ticketNumber: null, contactId };
}

/** Whether this contact has that message held for a project choice. */
export async function isAwaitingProject(trx: Trx, inboundId: number, contactId: number): Promise<boolean> {
  const row = await trx
    .selectFrom('inbound_message')
    .select('id')
    .where('id', '=', inboundId)
    .where('contact_id', '=', contactId)
    .where('state', '=', 'held')
    .where('outcome', '=', AWAITING_PROJECT)
    .executeTakeFirst();
  return row !== undefined;
}

/** Releases a message held for a project choice onto the project; false when it was not waiting. */
export async function releaseOntoProject(trx: Trx, inboundId: number, contactId: number, projectId: number): Promise<boolean> {
  const released = await trx
    .updateTable('inbound_message')
    .set({ state: 'pending', outcome: null, project_id: projectId })
    .where('id', '=', inboundId)
    .where('contact_id', '=', contactId)
    .where('state', '=', 'held')
    .where('outcome', '=', AWAITING_PROJECT)
    .executeTakeFirst();
  return Number(released.numUpdatedRows) === 1;
}

/**
 * Staff looked at a message waiting for them (quarantined, failed or held) and drop it: ignored for
 * good, the outcome naming who decided. False when the row was in none of those states.
 */
export async function rejectByStaff(db: Kysely<Database>, id: number, staffEmail: string, now: Date): Promise<boolean> {
  const done = await db
    .updateTable('inbound_message')
    .set({ state: 'ignored', outcome: printable(`rejected by ${staffEmail}`), processed_at: now.toISOString() })
    .where('id', '=', id)
    .where('state', 'in', ['quarantined', 'failed', 'held'])
    .executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}
