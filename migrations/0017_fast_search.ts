// Search and the priority sort on a long history (100k tickets, a million entries), where 0012's
// design was slow for a common word: each matching entry had to be read to learn its ticket
// (PostgreSQL visited one heap page per matching entry; SQLite looked the ticket up in the FTS
// table's own storage), then every matching ticket was sorted.
//
// - PostgreSQL: one search document per ticket (ticket_search: its summary and every entry's words,
//   positions stripped), so a search is one GIN lookup that yields ticket ids, all words at once.
//   Large documents are stored out of line uncompressed (storage external): a match reads no TOAST.
//   Triggers keep it in step with every write; an entry adds its words, an edit recomputes.
// - SQLite: the entry index keeps one row per entry (rewriting a whole ticket's document on each
//   new mail made writes ten times dearer), but its rowid now carries the ticket: ticket id × 2³² +
//   entry id, so a search reads ticket ids from the index alone. Entry ids stay below 2³², four
//   billion entries.
// - The priority sort reads an index of the priority's rank (the expression ticket-list.ts writes,
//   word for word), for the open queue and for all tickets.
import { sql, type Kysely } from 'kysely';

type Db = Kysely<any>;

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

/** The same text as ticket-list.ts's PRIORITY_RANK (a test compares them). */
export const PRIORITY_RANK = `(case ticket.priority when 'minor' then 0 when 'major' then 1 when 'blocking' then 2 when 'critical' then 3 else -1 end)`;
const RANK_UNQUALIFIED = PRIORITY_RANK.replace('ticket.priority', 'priority');
const OPEN = `status not in ('resolved', 'closed')`;

export async function up(db: Db): Promise<void> {
  await sql.raw(`create index ticket_priority_activity on ticket (${RANK_UNQUALIFIED}, updated_at, number)`).execute(db);
  await sql.raw(`create index ticket_open_priority on ticket (${RANK_UNQUALIFIED}, updated_at, number) where ${OPEN}`).execute(db);

  if (isPostgres(db)) {
    await sql`create table ticket_search (
      ticket_id integer primary key references ticket (id) on delete cascade,
      words tsvector not null)`.execute(db);
    await sql`alter table ticket_search alter column words set storage external`.execute(db);
    // A ticket's whole document, from its summary and entries: at creation, and after an edit.
    await sql`
      create function guichet_ticket_words(ticket integer) returns tsvector language sql stable as $$
        select strip(to_tsvector('simple', t.summary)) || coalesce(
          (select strip(to_tsvector('simple', string_agg(e.text, ' '))) from entry e where e.ticket_id = t.id), '')
        from ticket t where t.id = ticket
      $$`.execute(db);
    await sql`
      create function guichet_ticket_search() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'ticket' then
          insert into ticket_search (ticket_id, words) values (new.id, guichet_ticket_words(new.id))
            on conflict (ticket_id) do update set words = excluded.words;
        elsif tg_op = 'INSERT' then
          -- A tsvector holds at most 1 MB of distinct words: past that, the ticket keeps the words it
          -- has rather than refusing the mail.
          begin
            update ticket_search set words = words || strip(to_tsvector('simple', new.text)) where ticket_id = new.ticket_id;
          exception when program_limit_exceeded then null;
          end;
        else
          update ticket_search set words = guichet_ticket_words(ticket_id) where ticket_id = old.ticket_id;
          if tg_op = 'UPDATE' and new.ticket_id <> old.ticket_id then
            update ticket_search set words = guichet_ticket_words(ticket_id) where ticket_id = new.ticket_id;
          end if;
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger ticket_search_insert after insert or update of summary on ticket
      for each row execute function guichet_ticket_search()`.execute(db);
    await sql`create trigger entry_search_change after insert or delete or update of text, ticket_id on entry
      for each row execute function guichet_ticket_search()`.execute(db);
    await sql`insert into ticket_search (ticket_id, words) select id, guichet_ticket_words(id) from ticket`.execute(db);
    await sql`create index ticket_search_words on ticket_search using gin (words)`.execute(db);
    await sql`drop index entry_text_search`.execute(db);
    await sql`drop index ticket_summary_search`.execute(db);
    await sql`analyze`.execute(db);
    return;
  }

  for (const t of ['entry_fts_insert', 'entry_fts_delete', 'entry_fts_update']) await sql.raw(`drop trigger ${t}`).execute(db);
  // Emptied, not dropped: dropping a contentless FTS5 table with an unindexed column leaves its
  // _content table behind (SQLite 3.53), which may not be dropped either.
  await sql`delete from entry_fts`.execute(db);
  const options = `content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'`;
  await sql.raw(`create virtual table entry_search using fts5(text, ${options})`).execute(db);
  const key = (row: 'new' | 'old') => `${row}.ticket_id * 4294967296 + ${row}.id`;
  await sql.raw(`create trigger entry_search_insert after insert on entry
    begin insert into entry_search (rowid, text) values (${key('new')}, new.text); end`).execute(db);
  await sql.raw(`create trigger entry_search_delete after delete on entry
    begin delete from entry_search where rowid = ${key('old')}; end`).execute(db);
  await sql.raw(`create trigger entry_search_update after update of text, ticket_id on entry
    begin
      delete from entry_search where rowid = ${key('old')};
      insert into entry_search (rowid, text) values (${key('new')}, new.text);
    end`).execute(db);
  await sql`insert into entry_search (rowid, text) select ticket_id * 4294967296 + id, text from entry`.execute(db);
  await sql`analyze`.execute(db);
}

export async function down(db: Db): Promise<void> {
  await sql`drop index ticket_open_priority`.execute(db);
  await sql`drop index ticket_priority_activity`.execute(db);
  if (isPostgres(db)) {
    await sql`create index ticket_summary_search on ticket using gin (to_tsvector('simple', summary))`.execute(db);
    await sql`create index entry_text_search on entry using gin (to_tsvector('simple', text))`.execute(db);
    await sql`drop trigger entry_search_change on entry`.execute(db);
    await sql`drop trigger ticket_search_insert on ticket`.execute(db);
    await sql`drop function guichet_ticket_search()`.execute(db);
    await sql`drop function guichet_ticket_words(integer)`.execute(db);
    await sql`drop table ticket_search`.execute(db);
    return;
  }
  for (const t of ['entry_search_insert', 'entry_search_delete', 'entry_search_update']) await sql.raw(`drop trigger ${t}`).execute(db);
  await sql`drop table entry_search`.execute(db);
  await sql`create trigger entry_fts_insert after insert on entry
    begin insert into entry_fts (rowid, text, ticket_id) values (new.id, new.text, new.ticket_id); end`.execute(db);
  await sql`create trigger entry_fts_delete after delete on entry
    begin delete from entry_fts where rowid = old.id; end`.execute(db);
  await sql`create trigger entry_fts_update after update of text, ticket_id on entry
    begin
      delete from entry_fts where rowid = old.id;
      insert into entry_fts (rowid, text, ticket_id) values (new.id, new.text, new.ticket_id);
    end`.execute(db);
  await sql`insert into entry_fts (rowid, text, ticket_id) select id, text, ticket_id from entry`.execute(db);
}
