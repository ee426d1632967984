// The staff list on a large helpdesk: every view reads one index range in the order it shows, the
// queue counts read small partial indexes (or a maintained total), a ticket's attachments are found
// by entry, "waiting since" is kept on the row, and summary and thread are searchable (FTS5 on
// SQLite, GIN over tsvector on PostgreSQL).
//
// The partial indexes' predicates are written with literals, and the list queries repeat them word
// for word: SQLite uses a partial index only when the query's WHERE holds the same term.
import { sql, type Kysely } from 'kysely';

type Db = Kysely<any>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

const OPEN = sql.raw<boolean>(`status not in ('resolved', 'closed')`);

export async function up(db: Db): Promise<void> {
  const pg = isPostgres(db);

  // --- Indexes that match the list's sorts: (filter, updated_at, number), number breaking ties.
  await db.schema.dropIndex('ticket_status').execute();
  await db.schema.createIndex('ticket_status_activity').on('ticket').columns(['status', 'updated_at', 'number']).execute();
  await db.schema.createIndex('ticket_status_number').on('ticket').columns(['status', 'number']).execute();
  await db.schema.createIndex('ticket_activity').on('ticket').columns(['updated_at', 'number']).execute();
  await db.schema.createIndex('ticket_project_activity').on('ticket').columns(['project_id', 'updated_at', 'number']).execute();
  // Open tickets are a small share of a long-lived helpdesk: these stay small whatever the history.
  await db.schema.createIndex('ticket_open_activity').on('ticket').columns(['updated_at', 'number']).where(OPEN).execute();
  await db.schema.createIndex('ticket_open_assignee').on('ticket').columns(['assignee_id', 'updated_at', 'number']).where(OPEN).execute();
  await db.schema.createIndex('ticket_awaiting').on('ticket').columns(['awaiting', 'updated_at', 'number']).where(sql.raw<boolean>('awaiting is not null')).execute();
  // Every ticket page reads its entries' attachments; without this it scans them all.
  await db.schema.createIndex('attachment_entry').on('attachment').column('entry_id').execute();
  // The "pending accounts" queue is counted on every page.
  await db.schema.createIndex('contact_state').on('contact').column('state').execute();

  // --- When the ticket began waiting on its current side. Kept by the database, so every write path
  // (staff verbs, mailed replies, the scheduler, bulk updates) keeps it right without knowing of it.
  await db.schema.alterTable('ticket').addColumn('awaiting_since', 'text').execute();
  // Before this version only the audit log knows. A change of `awaiting` is an event, except that a
  // mailed reply (and the ticket's creation) set `staff` without one: for a ticket awaiting staff
  // whose last recorded change set something else, the first comment after that change started it.
  await sql`
    update ticket set awaiting_since = case when awaiting is null then null else coalesce(
      (select min(c.created_at) from event c
        where c.ticket_id = ticket.id and c.kind = 'commented' and ticket.awaiting = 'staff'
          and c.created_at >= coalesce((select max(a.created_at) from event a where a.ticket_id = ticket.id and a.field = 'awaiting'), ticket.created_at)
          and coalesce((select a.to_value from event a where a.ticket_id = ticket.id and a.field = 'awaiting' order by a.id desc limit 1), 'staff') <> 'staff'),
      (select max(a.created_at) from event a where a.ticket_id = ticket.id and a.field = 'awaiting'),
      ticket.created_at) end
  `.execute(db);

  // --- The number of tickets, for the "all" queue: counting 100k rows on every page is what made the
  // API slow. Ticket inserts already serialise on the numbering counter, so this row adds no wait.
  await db.schema
    .createTable('tally')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into tally (name, value) select 'tickets', count(*) from ticket`.execute(db);

  if (pg) {
    await sql`
      create function guichet_ticket_awaiting_since() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          if new.awaiting is not null and new.awaiting_since is null then new.awaiting_since := new.created_at; end if;
        elsif new.awaiting is distinct from old.awaiting then
          new.awaiting_since := case when new.awaiting is null then null else new.updated_at end;
        end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger ticket_awaiting_since before insert or update of awaiting on ticket
      for each row execute function guichet_ticket_awaiting_since()`.execute(db);
    // Statement triggers with transition tables: a bulk insert updates the total once, not per row.
    await sql`
      create function guichet_ticket_tally() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update tally set value = value + (select count(*) from new_rows) where name = 'tickets';
        else
          update tally set value = value - (select count(*) from old_rows) where name = 'tickets';
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger ticket_tally_insert after insert on ticket referencing new table as new_rows
      for each statement execute function guichet_ticket_tally()`.execute(db);
    await sql`create trigger ticket_tally_delete after delete on ticket referencing old table as old_rows
      for each statement execute function guichet_ticket_tally()`.execute(db);

    // Full text: 'simple' (no stemming) because tickets come in several languages; the queries
    // repeat these expressions exactly so the planner matches the indexes.
    await sql`create index ticket_summary_search on ticket using gin (to_tsvector('simple', summary))`.execute(db);
    await sql`create index entry_text_search on entry using gin (to_tsvector('simple', text))`.execute(db);
    await sql`analyze`.execute(db);
    return;
  }

  await sql`create trigger ticket_awaiting_since_insert after insert on ticket
    when new.awaiting is not null and new.awaiting_since is null
    begin update ticket set awaiting_since = new.created_at where id = new.id; end`.execute(db);
  await sql`create trigger ticket_awaiting_since_update after update of awaiting on ticket
    when new.awaiting is not old.awaiting
    begin update ticket set awaiting_since = case when new.awaiting is null then null else new.updated_at end where id = new.id; end`.execute(db);
  await sql`create trigger ticket_tally_insert after insert on ticket
    begin update tally set value = value + 1 where name = 'tickets'; end`.execute(db);
  await sql`create trigger ticket_tally_delete after delete on ticket
    begin update tally set value = value - 1 where name = 'tickets'; end`.execute(db);

  // Contentless FTS5 tables: the text stays stored once (in ticket and entry), and entry_fts keeps
  // the entry's ticket beside its words, so a search reads ticket ids from the index alone rather
  // than looking up every matching entry. The triggers keep them in step with every write.
  const options = `content = '', contentless_delete = 1, contentless_unindexed = 1, tokenize = 'unicode61 remove_diacritics 2'`;
  await sql.raw(`create virtual table if not exists ticket_fts using fts5(summary, ${options})`).execute(db);
  await sql.raw(`create virtual table if not exists entry_fts using fts5(text, ticket_id unindexed, ${options})`).execute(db);
  await sql`create trigger ticket_fts_insert after insert on ticket
    begin insert into ticket_fts (rowid, summary) values (new.id, new.summary); end`.execute(db);
  await sql`create trigger ticket_fts_delete after delete on ticket
    begin delete from ticket_fts where rowid = old.id; end`.execute(db);
  await sql`create trigger ticket_fts_update after update of summary on ticket
    begin
      delete from ticket_fts where rowid = old.id;
      insert into ticket_fts (rowid, summary) values (new.id, new.summary);
    end`.execute(db);
  await sql`create trigger entry_fts_insert after insert on entry
    begin insert into entry_fts (rowid, text, ticket_id) values (new.id, new.text, new.ticket_id); end`.execute(db);
  await sql`create trigger entry_fts_delete after delete on entry
    begin delete from entry_fts where rowid = old.id; end`.execute(db);
  await sql`create trigger entry_fts_update after update of text, ticket_id on entry
    begin
      delete from entry_fts where rowid = old.id;
      insert into entry_fts (rowid, text, ticket_id) values (new.id, new.text, new.ticket_id);
    end`.execute(db);
  await sql`delete from ticket_fts`.execute(db);
  await sql`delete from entry_fts`.execute(db);
  await sql`insert into ticket_fts (rowid, summary) select id, summary from ticket`.execute(db);
  await sql`insert into entry_fts (rowid, text, ticket_id) select id, text, ticket_id from entry`.execute(db);
  await sql`analyze`.execute(db);
}

export async function down(db: Db): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop index entry_text_search`.execute(db);
    await sql`drop index ticket_summary_search`.execute(db);
    await sql`drop trigger ticket_tally_delete on ticket`.execute(db);
    await sql`drop trigger ticket_tally_insert on ticket`.execute(db);
    await sql`drop function guichet_ticket_tally()`.execute(db);
    await sql`drop trigger ticket_awaiting_since on ticket`.execute(db);
    await sql`drop function guichet_ticket_awaiting_since()`.execute(db);
  } else {
    for (const t of ['entry_fts_update', 'entry_fts_delete', 'entry_fts_insert', 'ticket_fts_update', 'ticket_fts_delete', 'ticket_fts_insert',
      'ticket_tally_delete', 'ticket_tally_insert', 'ticket_awaiting_since_update', 'ticket_awaiting_since_insert']) {
      await sql.raw(`drop trigger ${t}`).execute(db);
    }
    // Emptied, not dropped: dropping a contentless FTS5 table with unindexed columns leaves its
    // _content shadow table behind (SQLite 3.53), which then forbids creating it again.
    await sql`delete from entry_fts`.execute(db);
    await sql`delete from ticket_fts`.execute(db);
  }
  await db.schema.dropTable('tally').execute();
  for (const i of ['contact_state', 'attachment_entry', 'ticket_awaiting', 'ticket_open_assignee', 'ticket_open_activity', 'ticket_project_activity', 'ticket_activity', 'ticket_status_number', 'ticket_status_activity']) {
    await db.schema.dropIndex(i).execute();
  }
  await db.schema.alterTable('ticket').dropColumn('awaiting_since').execute();
  await db.schema.createIndex('ticket_status').on('ticket').columns(['status', 'updated_at']).execute();
}
