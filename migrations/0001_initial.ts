// The first schema: every table of the domain (DESIGN §2). Frozen: later changes are new files.
// Migrations import nothing from src/ so they keep meaning what they meant when written.
import { type Kysely, type CreateTableBuilder } from 'kysely';

type Db = Kysely<any>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

function withId(db: Db, t: CreateTableBuilder<any, any>) {
  return isPostgres(db)
    ? t.addColumn('id', 'serial', (c) => c.primaryKey())
    : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('counter')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('counter').values({ name: 'ticket', value: 0 }).execute();

  await withId(db, db.schema.createTable('project'))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_type', 'text', (c) => c.notNull().defaultTo('assistance'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('project_address')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .execute();

  await withId(db, db.schema.createTable('product'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addUniqueConstraint('product_project_name', ['project_id', 'name'])
    .execute();

  await withId(db, db.schema.createTable('organisation'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('requires_validation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('organisation_domain')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'integer', (c) =>
      c.notNull().references('organisation.id').onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('organisation_project')
    .addColumn('organisation_id', 'integer', (c) =>
      c.notNull().references('organisation.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'integer', (c) => c.notNull().references('project.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('organisation_project_pk', ['organisation_id', 'project_id'])
    .execute();

  await withId(db, db.schema.createTable('contact'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('organisation_id', 'integer', (c) => c.references('organisation.id').onDelete('set null'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('language', 'text')
    .addColumn('consent_at', 'text')
    .addColumn('notified_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('staff'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await withId(db, db.schema.createTable('ticket'))
    .addColumn('number', 'integer', (c) => c.notNull().unique())
    .addColumn('project_id', 'integer', (c) => c.references('project.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text', (c) => c.notNull())
    .addColumn('duplicate_of', 'integer')
    .addColumn('linked_to', 'integer')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // Null for a maintenance announcement, which staff open for many contacts at once.
    .addColumn('reporter_id', 'integer', (c) => c.references('contact.id'))
    .addColumn('organisation_id', 'integer', (c) => c.references('organisation.id'))
    .addColumn('assignee_id', 'integer', (c) => c.references('staff.id'))
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('public'))
    .addColumn('urgency', 'text')
    .addColumn('impact', 'text')
    .addColumn('cost_estimate', 'text')
    .addColumn('awaiting', 'text')
    .addColumn('previous_status', 'text')
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('closed_at', 'text')
    .execute();
  await db.schema.createIndex('ticket_status').on('ticket').columns(['status', 'updated_at']).execute();

  await db.schema
    .createTable('ticket_product')
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('ticket.id').onDelete('cascade'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('product.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('ticket_product_pk', ['ticket_id', 'product_id'])
    .execute();

  await db.schema
    .createTable('ticket_watcher')
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('ticket.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ticket_watcher_pk', ['ticket_id', 'email'])
    .execute();

  await withId(db, db.schema.createTable('inbound_message'))
    .addColumn('mailbox', 'text', (c) => c.notNull())
    // Null for mail that came by the MTA pipe or the SMTP intake: no IMAP slot, the sha256 dedupes.
    .addColumn('uid_validity', 'bigint')
    .addColumn('uid', 'bigint')
    .addColumn('message_id', 'text')
    .addColumn('sha256', 'text', (c) => c.notNull().unique())
    .addColumn('raw_path', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('ticket_id', 'integer', (c) => c.references('ticket.id').onDelete('set null'))
    .addColumn('entry_id', 'integer')
    .addColumn('contact_id', 'integer', (c) => c.references('contact.id').onDelete('set null'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addUniqueConstraint('inbound_message_source', ['mailbox', 'uid_validity', 'uid'])
    .execute();
  await db.schema.createIndex('inbound_message_state').on('inbound_message').columns(['state', 'id']).execute();

  // How far each IMAP mailbox has been read. Kept apart from inbound_message because a UID whose
  // bytes duplicate an earlier message stores no new row, yet must not be fetched again.
  await db.schema
    .createTable('mailbox_cursor')
    .addColumn('mailbox', 'text', (c) => c.notNull())
    .addColumn('uid_validity', 'bigint', (c) => c.notNull())
    .addColumn('last_uid', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('mailbox_cursor_pk', ['mailbox', 'uid_validity'])
    .execute();

  await withId(db, db.schema.createTable('entry'))
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('ticket.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('author_contact_id', 'integer', (c) => c.references('contact.id').onDelete('set null'))
    .addColumn('author_staff_id', 'integer', (c) => c.references('staff.id').onDelete('set null'))
    .addColumn('author_email', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('full_text', 'text', (c) => c.notNull())
    .addColumn('html', 'text')
    .addColumn('message_id', 'text')
    .addColumn('inbound_message_id', 'integer', (c) => c.references('inbound_message.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('entry_ticket').on('entry').columns(['ticket_id', 'id']).execute();

  await withId(db, db.schema.createTable('attachment'))
    .addColumn('entry_id', 'integer', (c) => c.notNull().references('entry.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text')
    .addColumn('inline', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('message_ref')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('ticket.id').onDelete('cascade'))
    .execute();

  await withId(db, db.schema.createTable('outbox'))
    .addColumn('ticket_id', 'integer', (c) => c.references('ticket.id').onDelete('set null'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('in_reply_to', 'text')
    .addColumn('references', 'text')
    .addColumn('reply_to', 'text')
    .addColumn('auto_submitted', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('server_response', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();

  await withId(db, db.schema.createTable('event'))
    .addColumn('ticket_id', 'integer', (c) => c.references('ticket.id').onDelete('cascade'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('field', 'text')
    .addColumn('from_value', 'text')
    .addColumn('to_value', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_ticket').on('event').columns(['ticket_id', 'id']).execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of [
    'event', 'outbox', 'message_ref', 'attachment', 'entry', 'mailbox_cursor', 'inbound_message', 'ticket_watcher',
    'ticket_product', 'ticket', 'staff', 'contact', 'organisation_project', 'organisation_domain',
    'organisation', 'product', 'project_address', 'project', 'counter',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
