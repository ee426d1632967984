// Several `guichet start` processes on one PostgreSQL database and one mailbox, proven with real
// processes: three share a backlog in Dovecot and the outbox, exactly one reads the mailbox at a
// time (an advisory lock on the mailbox, held by a session of its own), the leader is killed with
// SIGKILL midway and another takes over within 10 s. Then the crash test's checks: every message
// exactly one ticket, every acknowledgement at the relay, twice only for what the killed process had
// in flight. Last, tickets due for auto-close are closed once each, with one notice, though every
// process runs the schedule. PostgreSQL only: SQLite serves one process per file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { mailboxLockName } from '../../src/app.ts';
import { advisoryKey } from '../../src/db/advisory-lock.ts';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { BIN, cleanEnv } from '../support/cli.ts';
import { testEngines, type TestEngine } from '../support/databases.ts';
import { dovecotAvailable, ensureDovecotInstalled, freePort } from '../support/dovecot.ts';
import { mailPeers } from '../support/mail-suite.ts';
import { waitUntil } from '../support/wait.ts';

const SUPPORT = 'support@help.example.test';
/** Waiting in the mailbox before the processes start; then STREAM more arrive while they run. */
const BACKLOG = 60;
const STREAM = 50;
const INSTANCES = 3;
/** What the killed process may have sent and not recorded: its claimed batch. */
const IN_FLIGHT = 50;

const firstId = (i: number) => `<m${i}@instances.example>`;

function firstMail(i: number): string {
  return [
    `From: Client ${i} <client${i}@instances.example>`,
    `To: ${SUPPORT}`,
    `Subject: Request ${i}: the nightly report is empty`,
    `Message-ID: ${firstId(i)}`,
    'Date: Mon, 02 Jun 2025 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, request number ${i}: the nightly report came out empty again.`,
    '',
  ].join('\r\n');
}

interface Life {
  child: ChildProcess;
  httpPort: number;
  output: () => string;
  exited: Promise<void>;
}

const engines = (await testEngines()).filter((e) => e.name === 'postgres');
const dovecot = dovecotAvailable() || (await ensureDovecotInstalled());
if (!dovecot && process.env.CI !== 'true') console.warn('\n!!! Dovecot missing: the instances suite is SKIPPED !!!\n');
// testEngines() already failed in CI, or warned loudly, when PostgreSQL is missing.
const runs = engines.length > 0 && (dovecot || process.env.CI === 'true');
const skipped: TestEngine = { name: 'postgres', freshUrl: () => Promise.reject(new Error('skipped')), emptyUrl: () => Promise.reject(new Error('skipped')), cleanup: async () => {} };
const describeEngines = (runs ? describe : describe.skip).each(runs ? engines : [skipped]);

describeEngines('several instances on $name', (engine) => {
  const peers = mailPeers(engine);

  it('three processes drain a backlog while the mailbox leader is killed: one poller at a time, taken over within 10 s, every mail once, auto-close once', async () => {
    const { dovecot, sink } = peers;
    // Empty: the three processes start together and migrate it at once.
    const url = await engine.emptyUrl();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-instances-'));
    const config = (httpPort: number) => {
      const file = path.join(dir, `config-${httpPort}.json`);
      writeFileSync(file, JSON.stringify({
        database: { url },
        dataDir: path.join(dir, 'data'),
        support: { address: SUPPORT, name: 'Instances Support' },
        admin: { listen: `127.0.0.1:${httpPort}` },
        imap: { url: dovecot.url },
        smtp: { url: sink.url },
        outbox: { backoffSeconds: 1 },
        intake: { unknownSenders: 'accept' },
        workflow: { autoCloseDays: 1, autoCloseCron: '* * * * * *' },
      }));
      return file;
    };
    const start = async (): Promise<Life> => {
      const httpPort = await freePort();
      const child = spawn(process.execPath, [BIN, 'start', '--config', config(httpPort)], { cwd: dir, env: cleanEnv() });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return { child, httpPort, output: () => out, exited };
    };
    const health = (life: Life) => fetch(`http://127.0.0.1:${life.httpPort}/healthz`).then((r) => r.status, () => 0);

    let database: Db | null = null;
    const lives: Life[] = [];
    try {
      for (let i = 0; i < BACKLOG; i++) await dovecot.append(firstMail(i));
      database = openDatabase(url);
      const db = database.db;
      // Started together on an empty database: they migrate at once too.
      for (let k = 0; k < INSTANCES; k++) lives.push(await start());

      /** The pid of the process holding the mailbox lock: its sessions carry host:pid:start. */
      const key = advisoryKey(mailboxLockName(dovecot.url));
      const leaderPid = async (): Promise<number | null> => {
        // A bigint key is held as its high 32 bits (classid) and low 32 bits (objid).
        const { rows } = await sql<{ name: string }>`select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.granted and l.objsubid = 1
            and l.database = (select oid from pg_database where datname = current_database())
            and ((l.classid::bigint << 32) | l.objid::bigint) = ${key}::bigint`.execute(db);
        const pids = rows.map((r) => Number(r.name.split(':')[1]));
        expect(pids.length).toBeLessThanOrEqual(1);
        return pids[0] ?? null;
      };
      const processed = async () =>
        Number((await db.selectFrom('inbound_message').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'processed').executeTakeFirstOrThrow()).n);

      const firstLeader = await waitUntil(leaderPid, 'a process to lead the mailbox', 30_000);
      const leader = lives.find((l) => l.child.pid === firstLeader)!;
      expect(leader).toBeDefined();
      for (const life of lives) await waitUntil(async () => (await health(life)) !== 0, 'every process to listen', 30_000);
      // More mail arrives meanwhile, as it would: the leader is killed with some of it taken in.
      const streaming = (async () => {
        for (let i = BACKLOG; i < BACKLOG + STREAM; i++) await dovecot.append(firstMail(i));
      })();
      await waitUntil(async () => (await processed()) >= BACKLOG + 5, 'the backlog and some of the new mail', 60_000);
      // Followers are ready too: they serve HTTP and send mail while another reads the mailbox.
      for (const life of lives) expect(await health(life), life.output().slice(-1500)).toBe(200);
      const followers = lives.filter((l) => l !== leader);
      for (const f of followers) expect(f.output(), 'a follower must not read the mailbox').not.toContain('IMAP connected');

      const before = await processed();
      leader.child.kill('SIGKILL');
      const killedAt = Date.now();
      await leader.exited;
      const newLeader = await waitUntil(async () => {
        const pid = await leaderPid();
        return pid !== null && pid !== firstLeader && pid;
      }, 'another process to take the mailbox over', 15_000);
      const tookOverMs = Date.now() - killedAt;
      await waitUntil(async () => (await processed()) > before, 'polling to resume', 15_000);
      const resumedMs = Date.now() - killedAt;
      expect(tookOverMs).toBeLessThan(10_000);
      expect(resumedMs).toBeLessThan(10_000);
      // Its log line may come a moment after the rows it wrote.
      await waitUntil(async () => followers.find((f) => f.child.pid === newLeader)!.output().includes('IMAP connected'), 'the new leader to say it reads the mailbox');
      const survivors = followers.map((f) => ({ f, connected: f.output().includes('IMAP connected') }));
      expect(survivors.filter((s) => s.connected).map((s) => s.f.child.pid)).toEqual([newLeader]);

      // Quiet: every message in, every notification out.
      await streaming;
      const total = BACKLOG + STREAM;
      await waitUntil(async () => {
        const pending = await db.selectFrom('outbox').select('id').where('state', '=', 'pending').execute();
        return (await processed()) === total && pending.length === 0;
      }, 'the backlog to be taken in and every notification sent', 60_000);

      const inbound = await db.selectFrom('inbound_message').select(['message_id', 'state']).execute();
      expect(inbound.filter((r) => r.state !== 'processed')).toEqual([]);
      expect(new Set(inbound.map((r) => r.message_id)).size).toBe(total);
      expect(inbound.length).toBe(total);
      const tickets = await db.selectFrom('ticket').select(['id']).execute();
      expect(tickets.length).toBe(total);
      const entries = await db.selectFrom('entry').select(['message_id']).where('message_id', 'is not', null).execute();
      for (let i = 0; i < total; i++) expect(entries.filter((e) => e.message_id === firstId(i)).length, firstId(i)).toBe(1);
      for (let i = 0; i < total; i++) {
        const acks = sink.messages.filter((m) => m.header('in-reply-to') === firstId(i) && m.envelope.to.includes(`client${i}@instances.example`));
        expect(acks.length, `acknowledgement of ${firstId(i)}`).toBeGreaterThanOrEqual(1);
      }
      const duplicates = sink.messages.length - new Set(sink.messages.map((m) => m.header('message-id'))).size;
      expect(duplicates).toBeLessThanOrEqual(IN_FLIGHT);

      // Auto-close runs every second in both survivors; each due ticket is closed once, one notice each.
      const due = tickets.slice(0, 10).map((t) => t.id);
      const outboxOf = async () => {
        const rows = await db.selectFrom('outbox').select('ticket_id').where('ticket_id', 'in', due).execute();
        return due.map((id) => rows.filter((r) => r.ticket_id === id).length);
      };
      const eventsOf = async () => {
        const rows = await db.selectFrom('event').select('ticket_id').where('ticket_id', 'in', due).where('to_value', '=', 'closed').execute();
        return due.map((id) => rows.filter((r) => r.ticket_id === id).length);
      };
      const outboxBefore = await outboxOf();
      const eventsBefore = await eventsOf();
      const longAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
      await db.updateTable('ticket').set({ status: 'resolved', resolved_at: longAgo }).where('id', 'in', due).execute();
      await waitUntil(async () => {
        const rows = await db.selectFrom('ticket').select('status').where('id', 'in', due).execute();
        return rows.every((r) => r.status === 'closed');
      }, 'the due tickets to be closed', 15_000);
      await new Promise((r) => setTimeout(r, 2500)); // a few more ticks of both schedules
      const outboxAfter = await outboxOf();
      expect(outboxAfter.map((n, k) => n - outboxBefore[k]!)).toEqual(due.map(() => 1));
      expect((await eventsOf()).map((n, k) => n - eventsBefore[k]!)).toEqual(due.map(() => 1));

      console.log(`[instances ${engine.name}] ${total} messages, ${INSTANCES} processes, leader ${firstLeader} killed after ${before} processed; ${newLeader} took the mailbox over in ${tookOverMs} ms, polling resumed in ${resumedMs} ms; ${sink.messages.length} mails at the relay, ${duplicates} sent twice`);
    } finally {
      for (const life of lives) if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGKILL');
      await Promise.all(lives.map((l) => l.exited));
      await database?.close();
    }
  }, 150_000);
});
