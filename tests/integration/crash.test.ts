// Crash-proof, proven with real processes: `guichet start` takes a backlog of first mails and
// replies from Dovecot and sends the acknowledgements to an SMTP server, and is killed with SIGKILL
// at random moments (a seeded random: CRASH_SEED replays a run) and started again each time. Then:
// every message is exactly one ticket or one entry, every acknowledgement reached the relay, and a
// notification went out twice only where a kill fell between the relay's 250 and the record (at
// most what one process had in flight per kill). The last kill lands while the process is sending
// (to a relay that takes the mail and never answers), and what it had claimed must go out within
// seconds of the restart, not after the 5-minute lease.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { BIN, cleanEnv } from '../support/cli.ts';
import { freePort } from '../support/dovecot.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { waitUntil } from '../support/wait.ts';

const SUPPORT = 'support@help.example.test';
const SEED = Number(process.env.CRASH_SEED ?? 11);
/** Kills at a random moment; one more lands while sending. */
const RANDOM_KILLS = 4;
const WAVE = 25;
const REPLIES_PER_WAVE = 8;
/** What one process may have sent and not recorded when it is killed, at most: its claimed batch. */
const IN_FLIGHT = 50;

/** mulberry32: small, seeded, good enough to place kills. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const firstId = (i: number) => `<m${i}@crash.example>`;
const replyId = (i: number) => `<r${i}@crash.example>`;
const subject = (i: number) => `Request ${i}: the export of invoices stops at page ${i % 7}`;

function firstMail(i: number): string {
  return [
    `From: Client ${i} <client${i}@crash.example>`,
    `To: ${SUPPORT}`,
    `Subject: ${subject(i)}`,
    `Message-ID: ${firstId(i)}`,
    'Date: Mon, 02 Jun 2025 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, request number ${i}: the export of invoices stops at page ${i % 7} since this morning.`,
    '',
  ].join('\r\n');
}

function replyMail(i: number): string {
  return [
    `From: Client ${i} <client${i}@crash.example>`,
    `To: ${SUPPORT}`,
    `Subject: Re: ${subject(i)}`,
    `Message-ID: ${replyId(i)}`,
    `In-Reply-To: ${firstId(i)}`,
    `References: ${firstId(i)}`,
    'Date: Mon, 02 Jun 2025 09:30:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `It still stops, here is what I see for request ${i}: error code ${1000 + i}.`,
    '',
  ].join('\r\n');
}

/** A relay that takes a message and never answers its end: a send stays in flight. */
async function startSilentRelay(): Promise<{ url: string; close(): void }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream) {
      stream.resume();
    },
  });
  // The killed process's connections end in a reset.
  server.on('error', () => {});
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, close: () => void server.close() };
}

interface Life {
  child: ChildProcess;
  started: number;
  output: () => string;
  exited: Promise<void>;
}

const describeEngines = await mailSuite('crash');

describeEngines('crash-proof intake and outbox on $name', (engine) => {
  const peers = mailPeers(engine);

  it('survives SIGKILL at random moments: every message once, every acknowledgement sent, claims of the dead taken over at once', async () => {
    const { dovecot, sink } = peers;
    const rand = random(SEED);
    const url = await engine.freshUrl();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-crash-'));
    const httpPort = await freePort();
    const writeConfig = (smtpUrl: string) => {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({
        database: { url },
        dataDir: path.join(dir, 'data'),
        support: { address: SUPPORT, name: 'Crash Support' },
        admin: { listen: `127.0.0.1:${httpPort}` },
        imap: { url: dovecot.url },
        smtp: { url: smtpUrl },
        outbox: { backoffSeconds: 1 },
        intake: { unknownSenders: 'accept' },
      }));
      return file;
    };

    const start = (smtpUrl: string): Life => {
      const child = spawn(process.execPath, [BIN, 'start', '--config', writeConfig(smtpUrl)], { cwd: dir, env: cleanEnv() });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return { child, started: Date.now(), output: () => out, exited };
    };
    const ready = (life: Life) =>
      waitUntil(async () => {
        if (life.child.exitCode !== null) throw new Error(`guichet exited (${life.child.exitCode}):\n${life.output().slice(-3000)}`);
        // Any answer will do: the process is up and its mail sources started before it listened.
        return fetch(`http://127.0.0.1:${httpPort}/healthz`).then(() => true, () => false);
      }, 'guichet to listen', 30_000);
    const kill = async (life: Life) => {
      life.child.kill('SIGKILL');
      await life.exited;
    };

    let firsts = 0;
    const replied: number[] = [];
    /** A wave of first mails, then replies to mails of this wave or earlier ones (after them in the mailbox). */
    const appendWave = async () => {
      for (let k = 0; k < WAVE; k++) await dovecot.append(firstMail(firsts + k));
      firsts += WAVE;
      for (let k = 0; k < REPLIES_PER_WAVE; k++) {
        const candidates = [...Array(firsts).keys()].filter((i) => !replied.includes(i));
        const i = candidates[Math.floor(rand() * candidates.length)]!;
        replied.push(i);
        await dovecot.append(replyMail(i));
      }
    };

    let database: Db | null = null;
    const live: Life[] = [];
    try {
      // Random kills: at any moment of a life (starting, migrating, fetching, applying, sending).
      for (let k = 0; k < RANDOM_KILLS; k++) {
        await appendWave();
        const life = start(sink.url);
        live.push(life);
        await ready(life);
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 1500)));
        await kill(life);
      }

      // The last kill lands while the process is sending: its claimed rows are in flight.
      await appendWave();
      const relay = await startSilentRelay();
      const sending = start(relay.url);
      live.push(sending);
      await ready(sending);
      database = openDatabase(url);
      const db = database.db;
      const claimed = await waitUntil(async () => {
        const rows = await db.selectFrom('outbox').select(['message_id', 'lease_holder']).where('state', '=', 'pending').where('lease_holder', 'is not', null).execute();
        return rows.length > 0 && rows;
      }, 'notifications claimed by the process', 20_000);
      await new Promise((r) => setTimeout(r, 300));
      await kill(sending);
      relay.close();
      const stillClaimed = await db.selectFrom('outbox').select(['message_id', 'lease_holder'])
        .where('state', '=', 'pending').where('lease_holder', 'is not', null).execute();
      expect(stillClaimed.length).toBeGreaterThan(0);
      const deadHolders = new Set(claimed.map((r) => r.lease_holder));
      expect(stillClaimed.every((r) => deadHolders.has(r.lease_holder))).toBe(true);

      // Restarted: what the dead process had claimed goes out within seconds.
      const last = start(sink.url);
      live.push(last);
      const restartedAt = last.started;
      await waitUntil(async () => {
        const at = new Set(sink.messages.map((m) => m.header('message-id')));
        return stillClaimed.every((r) => at.has(r.message_id));
      }, 'the claims of the killed process to be sent', 30_000);
      const takeOverMs = Date.now() - restartedAt;
      // From the spawn: most of it is the process starting (loading, migrations, templates).
      expect(takeOverMs).toBeLessThan(20_000);

      // Quiet: every message in, every notification out.
      const total = firsts + replied.length;
      await waitUntil(async () => {
        const inbound = await db.selectFrom('inbound_message').select(['state']).execute();
        const pending = await db.selectFrom('outbox').select('id').where('state', '=', 'pending').execute();
        return inbound.length === total && inbound.every((r) => r.state !== 'pending') && pending.length === 0;
      }, 'the backlog to be taken in and every notification sent', 60_000);

      // Every message exactly once: a first mail one ticket, a reply one entry on that ticket.
      const inbound = await db.selectFrom('inbound_message').select(['message_id', 'state', 'outcome', 'ticket_id']).execute();
      expect(inbound.filter((r) => r.state !== 'processed'), last.output().slice(-2000)).toEqual([]);
      expect(new Set(inbound.map((r) => r.message_id)).size).toBe(total);
      const tickets = await db.selectFrom('ticket').select(['id']).execute();
      expect(tickets.length).toBe(firsts);
      const entries = await db.selectFrom('entry').select(['ticket_id', 'message_id']).execute();
      const byId = new Map<string, number[]>();
      for (const e of entries) if (e.message_id) byId.set(e.message_id, [...(byId.get(e.message_id) ?? []), e.ticket_id]);
      const ticketOf = new Map(inbound.map((r) => [r.message_id, r.ticket_id]));
      for (let i = 0; i < firsts; i++) expect(byId.get(firstId(i))?.length, firstId(i)).toBe(1);
      for (const i of replied) expect(byId.get(replyId(i)), replyId(i)).toEqual([ticketOf.get(firstId(i))]);
      expect(entries.length).toBe(total);

      // Every acknowledgement reached the relay; twice only for a kill between 250 and the record.
      await waitUntil(async () => {
        const sent = await db.selectFrom('outbox').select('message_id').where('state', '=', 'sent').execute();
        const at = new Set(sink.messages.map((m) => m.header('message-id')));
        return sent.every((r) => at.has(r.message_id));
      }, 'every sent notification at the relay');
      for (let i = 0; i < firsts; i++) {
        const acks = sink.messages.filter((m) => m.header('in-reply-to') === firstId(i) && m.envelope.to.includes(`client${i}@crash.example`));
        expect(acks.length, `acknowledgement of ${firstId(i)}`).toBeGreaterThanOrEqual(1);
      }
      const kills = RANDOM_KILLS + 1;
      const duplicates = sink.messages.length - new Set(sink.messages.map((m) => m.header('message-id'))).size;
      console.log(`[crash ${engine.name}] seed ${SEED}: ${total} messages, ${kills} kills, ${sink.messages.length} mails at the relay, ${duplicates} sent twice, claims of the killed process sent ${takeOverMs} ms after the restart (${stillClaimed.length} of them)`);
      expect(duplicates).toBeLessThanOrEqual(kills * IN_FLIGHT);
    } finally {
      for (const life of live) if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGKILL');
      await Promise.all(live.map((l) => l.exited));
      await database?.close();
    }
  }, 180_000);
});
