// Storage guarantees on every engine: migrations, ticket numbers never reused (deletes, restarts,
// two processes at once), raw messages stored once.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { MIGRATIONS_DIR, migrateTo, migrateToLatest } from '../../src/db/migrate.ts';
import { recordRaw } from '../../src/mail/inbound.ts';
import { storeRawBytes } from '../../src/mail/raw-store.ts';
import { openTicket } from '../../src/tickets/store.ts';
import { listTicketQueue } from '../../src/tickets/ticket-list.ts';
import { testEngines } from '../support/databases.ts';

/** Every migration, in the order they run: what a migration from `after` on must apply. */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_[\w-]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
const after = (name: string) => MIGRATIONS.slice(MIGRATIONS.indexOf(name) + 1);

const run = promisify(execFile);
const engines = await testEngines();

async function seedContact(database: Db, email: string) {
  return database.db
    .insertInto('contact')
    .values({ email, name: 'Ada', organisation_id: null, state: 'active', created_at: new Date().toISOString() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function createTicket(database: Db, email: string): Promise<number> {
  const { ticket } = await database.db.transaction().execute(async (trx) => {
    const reporter = await trx.selectFrom('contact').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    return openTicket(trx, {
      reporter, summary: 's', language: 'en', watchers: [],
      first: { kind: 'email', authorContactId: reporter.id, authorStaffId: null, authorEmail: email, text: 't', fullText: 't', html: null, messageId: null, inboundMessageId: null, attachments: [] },
    }, new Date());
  });
  return ticket.number;
}

describe.each(engines)('storage on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('migrates an empty database, and migrating again changes nothing', async () => {
    const database = openDatabase(await engine.emptyUrl());
    try {
      expect(MIGRATIONS.slice(0, 6)).toEqual(['0001_initial', '0002_workflow', '0003_bodies_once', '0004_contact_bounce', '0005_inbound_message_id', '0006_watcher_contacts']);
      expect(await migrateToLatest(database.db)).toEqual(MIGRATIONS);
      expect(await migrateToLatest(database.db)).toEqual([]);
      const counter = await database.db.selectFrom('counter').selectAll().execute();
      expect(counter).toEqual([{ name: 'ticket', value: 0 }]);
    } finally {
      await database.close();
    }
  });

  it('stores each body once from migration 0003 on, keeping what earlier tickets held', async () => {
    const database = openDatabase(await engine.emptyUrl());
    const db = database.db as Kysely<any>;
    try {
      await migrateTo(db, '0002_workflow');
      const at = new Date().toISOString();
      const [contact] = await db.insertInto('contact').values({ email: 'ada@example.com', name: '', state: 'active', language: 'en', created_at: at }).returning('id').execute();
      const [ticket] = await db.insertInto('ticket').values({
        number: 1, type: 'bug', priority: 'minor', status: 'new', resolution: 'open', summary: 's', description: 'First body',
        reporter_id: contact!.id, visibility: 'public', awaiting: 'staff', language: 'en', created_at: at, updated_at: at,
      }).returning('id').execute();
      const entry = (text: string, full: string) => ({ ticket_id: ticket!.id, kind: 'email', author_email: 'ada@example.com', text, full_text: full, created_at: at });
      await db.insertInto('entry').values([entry('First body', 'First body'), entry('Reply', 'Reply\n\n> First body')]).execute();

      expect(await migrateToLatest(db)).toEqual(after('0002_workflow'));
      const entries = await db.selectFrom('entry').select(['text', 'full_text']).orderBy('id').execute();
      expect(entries).toEqual([{ text: 'First body', full_text: null }, { text: 'Reply', full_text: 'Reply\n\n> First body' }]);
      expect(Object.keys(await db.selectFrom('ticket').selectAll().executeTakeFirstOrThrow())).not.toContain('description');
    } finally {
      await database.close();
    }
  });

  it('makes active contacts of watchers recorded before 0006, so an upgrade silences nobody', async () => {
    const database = openDatabase(await engine.emptyUrl());
    const db = database.db as Kysely<any>;
    try {
      await migrateTo(db, '0005_inbound_message_id');
      const at = new Date().toISOString();
      const [ada] = await db.insertInto('contact').values({ email: 'ada@example.com', name: 'Ada', state: 'active', created_at: at }).returning('id').execute();
      await db.insertInto('contact').values({ email: 'eve@example.com', name: 'Eve', state: 'blocked', created_at: at }).execute();
      const [ticket] = await db.insertInto('ticket').values({
        number: 1, type: 'assistance', priority: 'minor', status: 'new', resolution: 'open', summary: 's',
        reporter_id: ada!.id, visibility: 'public', awaiting: 'staff', language: 'en', created_at: at, updated_at: at,
      }).returning('id').execute();
      await db.insertInto('ticket_watcher').values(['bob@example.com', 'eve@example.com'].map((email) => ({ ticket_id: ticket!.id, email }))).execute();

      expect(await migrateToLatest(db)).toEqual(after('0005_inbound_message_id'));
      const contacts = await db.selectFrom('contact').select(['email', 'state']).orderBy('email').execute();
      expect(contacts).toEqual([
        { email: 'ada@example.com', state: 'active' },
        { email: 'bob@example.com', state: 'active' },
        { email: 'eve@example.com', state: 'blocked' },
      ]);
    } finally {
      await database.close();
    }
  });

  it('makes tickets written before 0017 searchable by their summary and thread, and later mail too', async () => {
    const database = openDatabase(await engine.emptyUrl());
    const db = database.db as Kysely<any>;
    try {
      await migrateTo(db, '0016_lease_holder');
      const at = new Date().toISOString();
      const [ada] = await db.insertInto('contact').values({ email: 'ada@example.com', name: 'Ada', state: 'active', created_at: at }).returning('id').execute();
      for (const [number, summary, text] of [[1, 'Blank aardvark page', 'it was fine yesterday'], [2, 'Printer', 'the zebrafish tray jams']] as const) {
        const [ticket] = await db.insertInto('ticket').values({
          number, type: 'assistance', priority: 'minor', status: 'new', resolution: 'open', summary,
          reporter_id: ada!.id, visibility: 'public', awaiting: 'staff', language: 'en', created_at: at, updated_at: at,
        }).returning('id').execute();
        await db.insertInto('entry').values({ ticket_id: ticket!.id, kind: 'email', author_email: 'ada@example.com', text, created_at: at }).execute();
      }

      expect(await migrateToLatest(db)).toEqual(after('0016_lease_holder'));
      const found = async (search: string) => (await listTicketQueue(database.db, { queue: 'all', staffId: null, search })).rows.map((r) => r.number);
      expect(await found('aardvark')).toEqual([1]);
      expect(await found('zebrafish')).toEqual([2]);
      expect(await found('printer jams')).toEqual([2]);
      const two = await db.selectFrom('ticket').select('id').where('number', '=', 2).executeTakeFirstOrThrow();
      await db.insertInto('entry').values({ ticket_id: two.id, kind: 'reply', text: 'try the okapi setting', created_at: at }).execute();
      expect(await found('okapi zebrafish')).toEqual([2]);
      await db.deleteFrom('ticket').where('number', '=', 2).execute();
      expect(await found('zebrafish')).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('never reuses a ticket number, across deletes and restarts', async () => {
    const url = await engine.freshUrl();
    let database = openDatabase(url);
    await migrateToLatest(database.db);
    await seedContact(database, 'ada@example.com');
    expect([await createTicket(database, 'ada@example.com'), await createTicket(database, 'ada@example.com')]).toEqual([1, 2]);
    await database.db.deleteFrom('ticket').where('number', '=', 2).execute();
    await database.close();

    database = openDatabase(url);
    try {
      expect(await createTicket(database, 'ada@example.com')).toBe(3);
    } finally {
      await database.close();
    }
  });

  it('gives distinct numbers to two processes creating tickets at once', async () => {
    const url = await engine.freshUrl();
    const database = openDatabase(url);
    await migrateToLatest(database.db);
    await seedContact(database, 'ada@example.com');
    const script = path.resolve('tests/support/create-tickets.ts');
    const children = await Promise.all(
      [0, 1].map(() => run(process.execPath, ['--import', 'tsx', script, url, '40', 'ada@example.com'])),
    );
    const numbers = children.flatMap((c) => JSON.parse(c.stdout) as number[]);
    try {
      expect(numbers).toHaveLength(80);
      expect(new Set(numbers).size).toBe(80);
      expect(Math.max(...numbers)).toBe(80);
      const rows = await database.db.selectFrom('ticket').select('number').execute();
      expect(rows).toHaveLength(80);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('stores a raw message once, by mailbox slot and by content', async () => {
    const database = openDatabase(await engine.freshUrl());
    await migrateToLatest(database.db);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-raw-'));
    const raw = Buffer.from('Message-ID: <m1@example.com>\r\nSubject: hi\r\n\r\nbody\r\n');
    try {
      const first = await recordRaw(database.db, await storeRawBytes(dir, raw), { mailbox: 'INBOX', uidValidity: 7, uid: 1 }, new Date());
      expect(first.duplicate).toBe(false);
      expect(first.row.message_id).toBe('<m1@example.com>');
      expect(readFileSync(path.join(dir, first.row.raw_path))).toEqual(raw);
      const sameSlot = await recordRaw(database.db, await storeRawBytes(dir, Buffer.from('other bytes')), { mailbox: 'INBOX', uidValidity: 7, uid: 1 }, new Date());
      expect(sameSlot).toMatchObject({ duplicate: true, row: { id: first.row.id } });
      const sameBytes = await recordRaw(database.db, await storeRawBytes(dir, raw), { mailbox: 'pipe', uidValidity: null, uid: null }, new Date());
      expect(sameBytes).toMatchObject({ duplicate: true, row: { id: first.row.id } });
      const count = await database.db.selectFrom('inbound_message').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1);
    } finally {
      await database.close();
    }
  });
});
