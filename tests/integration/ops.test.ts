// What operators watch and how Guichet stops. /metrics (names, a counter moving with an intake run,
// levels read from the database, the token rule), /healthz/live and /healthz/ready; then `guichet
// start` as a real process: SIGTERM in the middle of an IMAP backlog finishes the mail in hand and
// exits 0 with nothing half done and no duplicate after a restart; a stop held up past
// shutdownSeconds exits 1 naming what was running; a second signal exits at once (143).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { BIN, cleanEnv } from '../support/cli.ts';
import { testEngines } from '../support/databases.ts';
import { freePort } from '../support/dovecot.ts';
import { API_TOKEN, buildGuichet, clientMail, SUPPORT } from '../support/guichet.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { waitUntil } from '../support/wait.ts';

const engines = await testEngines();
const bearer = { headers: { authorization: `Bearer ${API_TOKEN}` } };

/** The value of one sample of the exposition, or null when it is absent. */
function sample(text: string, name: string, labels = ''): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

describe.each(engines)('/metrics and /healthz on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('exposes the intake, outbox and database levels to a token holder, moving with the mail', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      const refused = await g.http.request('/metrics');
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await g.http.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

      const before = await g.http.request('/metrics', bearer);
      expect(before.status).toBe(200);
      expect(before.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await before.text();
      for (const name of [
        'guichet_inbound_messages_total', 'guichet_intake_duration_seconds', 'guichet_outbox_sent_total',
        'guichet_outbox_send_failures_total', 'guichet_outbox_pending', 'guichet_outbox_oldest_pending_age_seconds',
        'guichet_outbox_failed', 'guichet_outbox_stalled', 'guichet_inbound_stored', 'guichet_database_up',
      ]) expect(text, name).toContain(`# TYPE ${name} `);
      expect(sample(text, 'guichet_inbound_messages_total', '{outcome="processed"}')).toBe(0);
      expect(sample(text, 'guichet_outbox_send_failures_total', '{kind="relay"}')).toBe(0);
      expect(sample(text, 'guichet_database_up')).toBe(1);
      // No IMAP mailbox configured: its series are absent, not a false "disconnected".
      expect(sample(text, 'guichet_mailbox_connected')).toBeNull();

      const first = clientMail({ subject: 'Counted', body: 'Hello' });
      await g.intake.handle(Buffer.from(first.raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      await g.intake.handle(Buffer.from(first.raw), { mailbox: 'pipe', uidValidity: null, uid: null });

      const after = await (await g.http.request('/metrics', bearer)).text();
      expect(sample(after, 'guichet_inbound_messages_total', '{outcome="processed"}')).toBe(1);
      expect(sample(after, 'guichet_inbound_messages_total', '{outcome="duplicate"}')).toBe(1);
      expect(sample(after, 'guichet_intake_duration_seconds_count')).toBe(2);
      // The acknowledgement waits in the outbox until the worker runs (the process is not started).
      expect(sample(after, 'guichet_outbox_pending')).toBe(1);
      expect(sample(after, 'guichet_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
      expect(sample(after, 'guichet_inbound_stored', '{state="failed"}')).toBe(0);

      await g.outbox.runOnce();
      const sent = await (await g.http.request('/metrics', bearer)).text();
      expect(sample(sent, 'guichet_outbox_sent_total')).toBe(1);
      expect(sample(sent, 'guichet_outbox_pending')).toBe(0);
      expect(sample(sent, 'guichet_outbox_oldest_pending_age_seconds')).toBe(0);
    } finally {
      await g.stop();
    }
  });

  it('serves /metrics without a token only when metrics.public is set', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), overrides: { metrics: { public: true } } });
    try {
      const res = await g.http.request('/metrics');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('guichet_database_up 1');
    } finally {
      await g.stop();
    }
  });

  it('answers liveness whatever is down, readiness only when the mailbox is connected', async () => {
    // An IMAP mailbox is configured but the poller never started: not connected.
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), imapUrl: 'imap://u:p@127.0.0.1:9/INBOX' });
    try {
      const live = await g.http.request('/healthz/live');
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ ok: true });
      const ready = await g.http.request('/healthz/ready');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false });
      const detailed = await g.http.request('/healthz/ready', bearer);
      expect(await detailed.json()).toMatchObject({ ok: false, database: { ok: true }, mailbox: { connected: false } });
      // /healthz keeps answering as before.
      expect((await g.http.request('/healthz')).status).toBe(503);
      const metrics = await (await g.http.request('/metrics', bearer)).text();
      expect(sample(metrics, 'guichet_mailbox_connected', '{mailbox="INBOX"}')).toBe(0);
      expect(sample(metrics, 'guichet_mailbox_last_poll_timestamp_seconds', '{mailbox="INBOX"}')).toBe(0);
    } finally {
      await g.stop();
    }
    const healthy = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      const ready = await healthy.http.request('/healthz/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ok: true });
    } finally {
      await healthy.stop();
    }
  });
});

/** `guichet start` as a process, its JSON log lines collected. */
function startGuichet(dir: string) {
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: dir, env: cleanEnv({ GUICHET_LOG_FORMAT: 'json' }) });
  const lines: Array<Record<string, any>> = [];
  let rest = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, lines, exited, stderr: () => stderr };
}

const logged = (lines: Array<Record<string, any>>, re: RegExp) => lines.find((l) => re.test(String(l.msg)));

function kill(child: ChildProcess) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

const suite = await mailSuite('graceful stop');

suite('guichet start stopped by SIGTERM during an IMAP backlog on $name', (engine) => {
  const peers = mailPeers(engine);
  const MAILS = 240;

  it('finishes the mail in hand, exits 0 within the bound, and the restart takes the rest once', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-stop-'));
    const databaseUrl = await engine.freshUrl();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      database: { url: databaseUrl },
      dataDir: './data',
      support: { address: SUPPORT },
      admin: { listen: '127.0.0.1:0' },
      // Chunks of about 30 mails, so the stop lands between chunks of a long backlog.
      imap: { url: peers.dovecot.url, pollCron: '*/2 * * * * *', chunkBytes: 64 * 1024 },
      smtp: { url: peers.sink.url },
      outbox: { backoffSeconds: 1 },
      intake: { unknownSenders: 'accept' },
      shutdownSeconds: 10,
    }));
    const imap = await peers.dovecot.connect();
    try {
      const filler = 'The report export stops half way through and leaves an empty file. '.repeat(25);
      for (let i = 0; i < MAILS; i++) {
        await imap.append('INBOX', clientMail({ from: `client${i}@example.com`, subject: `Request ${i}`, body: `${i}: ${filler}` }).raw);
      }
    } finally {
      await imap.logout();
    }

    const first = startGuichet(dir);
    try {
      await waitUntil(async () => first.lines.filter((l) => l.inboundId !== undefined).length >= 40, 'a part of the backlog taken in', 60_000);
      const signalledAt = Date.now();
      first.child.kill('SIGTERM');
      const { code, at } = await first.exited;
      expect(code, first.stderr()).toBe(0);
      expect(at - signalledAt).toBeLessThan(10_000);
      expect(logged(first.lines, /^SIGTERM: stopping/)).toBeTruthy();
      expect(logged(first.lines, /^stopped in \d+ ms/)).toBeTruthy();
      expect(logged(first.lines, /still running/)).toBeUndefined();
      // Each message's line carries what an operator searches by.
      const line = first.lines.find((l) => l.inboundId !== undefined)!;
      expect(line).toMatchObject({ level: 'info', state: 'processed', outcome: 'ticket', source: 'INBOX' });
      expect(line.messageId).toMatch(/^<client-.*@example\.com>$/);
      expect(line.ticket).toEqual(expect.any(Number));
    } finally {
      kill(first.child);
    }

    // Nothing half done: every stored message has its outcome and is marked in the mailbox, every
    // other one is left unmarked for the next start, and no notification is left claimed.
    const database = openDatabase(databaseUrl);
    try {
      const stored = await database.db.selectFrom('inbound_message').select(['uid', 'state']).execute();
      expect(stored.length).toBeGreaterThanOrEqual(40);
      expect(stored.length, 'the stop landed after the whole backlog: nothing was left to stop').toBeLessThan(MAILS);
      expect(stored.filter((r) => r.state !== 'processed')).toEqual([]);
      const claimed = await database.db.selectFrom('outbox').select('id').where('state', '=', 'pending').where('lease_until', 'is not', null).execute();
      expect(claimed).toEqual([]);
      const check = await peers.dovecot.connect();
      const seen: number[] = [];
      try {
        await check.mailboxOpen('INBOX');
        for await (const m of check.fetch('1:*', { uid: true, flags: true })) if (m.flags?.has('\\Seen')) seen.push(m.uid);
      } finally {
        await check.logout();
      }
      expect(seen.sort((a, b) => a - b)).toEqual(stored.map((r) => r.uid!).sort((a, b) => a - b));

      const second = startGuichet(dir);
      try {
        await waitUntil(async () => {
          const counts = await database.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'sent').executeTakeFirstOrThrow();
          return Number(counts.n) >= MAILS;
        }, 'the whole backlog taken in and acknowledged', 120_000);
        second.child.kill('SIGTERM');
        expect((await second.exited).code, second.stderr()).toBe(0);
      } finally {
        kill(second.child);
      }

      const rows = await database.db.selectFrom('inbound_message').select(['message_id', 'state']).execute();
      expect(rows).toHaveLength(MAILS);
      expect(new Set(rows.map((r) => r.message_id)).size).toBe(MAILS);
      expect(rows.every((r) => r.state === 'processed')).toBe(true);
      const tickets = await database.db.selectFrom('ticket').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(tickets.n)).toBe(MAILS);
    } finally {
      await database.close();
    }
    // One acknowledgement per client, none twice.
    const acks = peers.sink.messages.flatMap((m) => m.envelope.to).filter((to) => /^client\d+@example\.com$/.test(to));
    expect(acks).toHaveLength(MAILS);
    expect(new Set(acks).size).toBe(MAILS);
  });
});

describe('guichet start held up past its bound, or signalled twice', () => {
  /**
   * A Guichet whose SMTP receiver has a client connected: in the middle of a message's DATA (a stop
   * waits for it), or between messages (a stop does not).
   */
  async function heldUp(shutdownSeconds: number, stage: 'data' | 'between messages' = 'data') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-stop-'));
    const port = await freePort();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      dataDir: './data',
      support: { address: SUPPORT },
      admin: { listen: '127.0.0.1:0' },
      smtpIntake: { listen: `127.0.0.1:${port}` },
      outbox: { captureDir: './sent' },
      intake: { unknownSenders: 'accept' },
      shutdownSeconds,
    }));
    const g = startGuichet(dir);
    await waitUntil(async () => logged(g.lines, /^Guichet started/), 'Guichet started', 30_000);
    const socket = net.connect(port, '127.0.0.1');
    let heard = '';
    socket.on('data', (d) => (heard += d));
    socket.on('error', () => {});
    const expectReply = async (code: string) => {
      await waitUntil(async () => heard.split('\r\n').some((l) => l.startsWith(`${code} `)), `SMTP ${code}`);
      heard = '';
    };
    await expectReply('220');
    socket.write('EHLO client.example.com\r\n');
    await expectReply('250');
    if (stage === 'between messages') return { g, socket, heard: () => heard };
    socket.write('MAIL FROM:<ada@example.com>\r\n');
    await expectReply('250');
    socket.write(`RCPT TO:<${SUPPORT}>\r\n`);
    await expectReply('250');
    socket.write('DATA\r\n');
    await expectReply('354');
    socket.write('From: ada@example.com\r\nSubject: Half sent\r\n\r\nThe first lines, and then');
    return { g, socket, heard: () => heard };
  }

  it('does not wait for an SMTP client idle between messages: told 421 and let go at once', { timeout: 60_000 }, async () => {
    const { g, socket, heard } = await heldUp(30, 'between messages');
    try {
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const signalledAt = Date.now();
      g.child.kill('SIGTERM');
      const { code, at } = await g.exited;
      await closed;
      expect(code).toBe(0);
      expect(heard()).toMatch(/^421 /m);
      expect(at - signalledAt).toBeLessThan(15_000); // the bound is 30 s; an idle client used to hold the stop until then
    } finally {
      socket.destroy();
      kill(g.child);
    }
  });

  it('exits 1 past shutdownSeconds, naming what was still running', { timeout: 60_000 }, async () => {
    const { g, socket } = await heldUp(2);
    try {
      const signalledAt = Date.now();
      g.child.kill('SIGTERM');
      const { code, at } = await g.exited;
      expect(code).toBe(1);
      expect(at - signalledAt).toBeGreaterThanOrEqual(1900);
      expect(at - signalledAt).toBeLessThan(5000);
      expect(logged(g.lines, /stop took over 2 s/)).toMatchObject({ level: 'error', msg: expect.stringMatching(/still running: .*SMTP receiver/) });
    } finally {
      socket.destroy();
      kill(g.child);
    }
  });

  it('exits at once, with 143, at a second SIGTERM', { timeout: 60_000 }, async () => {
    const { g, socket } = await heldUp(30);
    try {
      g.child.kill('SIGTERM');
      await waitUntil(async () => logged(g.lines, /^SIGTERM: stopping/), 'the stop begun');
      const againAt = Date.now();
      g.child.kill('SIGTERM');
      const { code, at } = await g.exited;
      expect(code).toBe(143);
      expect(at - againAt).toBeLessThan(1500);
      expect(logged(g.lines, /SIGTERM again: exiting now/)).toMatchObject({ level: 'warn', msg: expect.stringContaining('SMTP receiver') });
    } finally {
      socket.destroy();
      kill(g.child);
    }
  });
});
