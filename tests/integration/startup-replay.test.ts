// Mail whose source was told Guichet has it (SMTP 250, `guichet ingest` exit 0) and that a kill or
// a power cut left stored but never applied: at start, Guichet finishes it, in order, exactly once,
// acknowledged once. The crash is reproduced as it leaves the data: the raw file stored, its row
// committed `pending`, nothing after. On PostgreSQL two processes starting at once replay it once.
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { recordRaw } from '../../src/mail/inbound.ts';
import { storeRawBytes } from '../../src/mail/raw-store.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';
import { testEngines } from '../support/databases.ts';
import { waitUntil } from '../support/wait.ts';

const engines = await testEngines();

/** As a crash leaves it: the bytes on disk and their row committed `pending`, `ageMs` ago. */
async function leftPending(databaseUrl: string, dataDir: string, mails: Array<{ raw: string; mailbox: string; ageMs: number }>): Promise<number[]> {
  const database = openDatabase(databaseUrl);
  try {
    await migrateToLatest(database.db);
    const ids: number[] = [];
    for (const m of mails) {
      const bytes = await storeRawBytes(path.join(dataDir, 'raw'), Buffer.from(m.raw));
      const { row } = await recordRaw(database.db, bytes, { mailbox: m.mailbox, uidValidity: null, uid: null }, new Date(Date.now() - m.ageMs));
      ids.push(row.id);
    }
    return ids;
  } finally {
    await database.close();
  }
}

for (const engine of engines) {
  describe(`stored mail replayed at start (${engine.name})`, () => {
    const running: Guichet[] = [];
    afterEach(async () => {
      for (const g of running.splice(0)) await g.stop();
    });
    afterAll(() => engine.cleanup());

    const first = clientMail({ subject: 'The export stops at page 3', body: 'Since this morning.', messageId: '<first@replay.example>' });
    const reply = clientMail({
      subject: 'Re: The export stops at page 3', body: 'Still stuck, error 1042.', messageId: '<reply@replay.example>',
      inReplyTo: '<first@replay.example>', references: '<first@replay.example>',
    });
    const fresh = clientMail({ subject: 'Just taken', body: 'Stored a moment ago.', messageId: '<fresh@replay.example>' });

    it('turns mail left pending into a ticket and its reply into an entry, once, acknowledged once; a row just stored is left to its process', async () => {
      const databaseUrl = await engine.freshUrl();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-data-'));
      const [firstId, replyId, freshId] = await leftPending(databaseUrl, dataDir, [
        { raw: first.raw, mailbox: 'smtp', ageMs: 60_000 },
        { raw: reply.raw, mailbox: 'pipe', ageMs: 59_000 },
        // "Just stored" by a process still at work: stamped ahead of the clock, so that it is still
        // recent when start() looks, however long a loaded machine takes to get there (the replay
        // leaves rows younger than 10 s to the process that stored them).
        { raw: fresh.raw, mailbox: 'smtp', ageMs: -60_000 },
      ]);

      const g = await buildGuichet({ databaseUrl, dataDir });
      running.push(g);
      await g.start({ listen: false });
      const db = g.database.db;

      // Replayed before start() returns, so before any source hands over new mail.
      const rows = await db.selectFrom('inbound_message').select(['id', 'state', 'ticket_id', 'entry_id']).orderBy('id').execute();
      expect(rows.map((r) => r.state)).toEqual(['processed', 'processed', 'pending']);
      expect(rows[0]).toMatchObject({ id: firstId });
      expect(rows[1]).toMatchObject({ id: replyId, ticket_id: rows[0]!.ticket_id });
      expect(rows[1]!.entry_id).not.toBeNull();
      expect(rows[2]!.id).toBe(freshId);
      const tickets = await db.selectFrom('ticket').select('id').execute();
      expect(tickets).toHaveLength(1);

      const acks = await waitUntil(async () => {
        const sent = await db.selectFrom('outbox').select(['event', 'state']).where('event', '=', 'ticket-received').execute();
        return sent.length && sent.every((r) => r.state === 'sent') && sent;
      }, 'the acknowledgement sent');
      expect(acks).toHaveLength(1);

      // A second start finds nothing more to do.
      await g.stop();
      running.splice(0);
      const again = await buildGuichet({ databaseUrl, dataDir });
      running.push(again);
      await again.start({ listen: false });
      expect(await again.database.db.selectFrom('ticket').select('id').execute()).toHaveLength(1);
      expect(await again.database.db.selectFrom('outbox').select('id').where('event', '=', 'ticket-received').execute()).toHaveLength(1);
    });

    it('removes at start the files of large messages an earlier run never finished, not those still being written', async () => {
      const databaseUrl = await engine.freshUrl();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-data-'));
      const file = (dir: string, name: string, ageMs: number) => {
        mkdirSync(path.join(dataDir, dir), { recursive: true });
        const at = path.join(dataDir, dir, name);
        writeFileSync(at, 'partial bytes');
        const t = new Date(Date.now() - ageMs);
        utimesSync(at, t, t);
        return at;
      };
      const staleRaw = file('raw', 'spool.4242.k3j9x.tmp', 2 * 3600_000);
      const staleAttachment = file('attachments', 'spool.4242.z8q1w.tmp', 2 * 3600_000);
      const writing = file('raw', 'spool.4243.a1b2c.tmp', 60_000); // another process's, still arriving
      const other = file('raw', 'notes.tmp', 2 * 3600_000); // not a spool: not Guichet's to remove

      const g = await buildGuichet({ databaseUrl, dataDir });
      running.push(g);
      await g.start({ listen: false });
      expect([staleRaw, staleAttachment, writing, other].map((f) => existsSync(f))).toEqual([false, false, true, true]);
    });

    it.skipIf(engine.name !== 'postgres')('two processes starting at once on one database replay a message once', async () => {
      const databaseUrl = await engine.freshUrl();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-data-'));
      const mails = Array.from({ length: 12 }, (_, i) =>
        clientMail({ from: `Client ${i} <client${i}@replay.example>`, subject: `Request ${i}`, body: `Request number ${i}.`, messageId: `<race${i}@replay.example>` }));
      await leftPending(databaseUrl, dataDir, mails.map((m) => ({ raw: m.raw, mailbox: 'smtp', ageMs: 60_000 })));

      const a = await buildGuichet({ databaseUrl, dataDir });
      running.push(a);
      const b = await buildGuichet({ databaseUrl, dataDir });
      running.push(b);
      await Promise.all([a.start({ listen: false }), b.start({ listen: false })]);

      const db = a.database.db;
      const states = await db.selectFrom('inbound_message').select('state').execute();
      expect(states.every((r) => r.state === 'processed')).toBe(true);
      expect(await db.selectFrom('ticket').select('id').execute()).toHaveLength(12);
      const acks = await waitUntil(async () => {
        const sent = await db.selectFrom('outbox').select(['recipient', 'state']).where('event', '=', 'ticket-received').execute();
        return sent.length >= 12 && sent.every((r) => r.state === 'sent') && sent;
      }, 'the acknowledgements sent');
      expect(acks).toHaveLength(12);
      expect(new Set(acks.map((r) => r.recipient)).size).toBe(12);
    });
  });
}
