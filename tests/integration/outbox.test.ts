// The outbox against a real SMTP server: transient refusals are retried with a capped backoff for
// the retry window, a refused recipient fails at once and is marked bouncing, a relay that cannot be
// reached or refuses the password pauses the whole outbox (no attempt burnt, /healthz says so, one
// staff notice once it is back), a row is never sent twice, and a sender thread that dies costs a
// retry, not a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import { createHttpApp } from '../../src/http/app.ts';
import type { LogLevel } from '../../src/log.ts';
import { classifyFailure, createSmtpMailer, isPermanentFailure } from '../../src/notify/mailer.ts';
import { createOutboxWorker } from '../../src/notify/outbox-worker.ts';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet, clientMail } from '../support/guichet.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const engines = await testEngines();

describe.each(engines)('outbox on $name', (engine) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
    await engine.cleanup();
  });

  const pipe = { mailbox: 'pipe', uidValidity: null, uid: null };

  /** `entry`: the SMTP sender thread's entry point, when not the real one; `to`: another sink. */
  async function withQueuedAcks(count: number, opts: { entry?: URL; to?: SmtpSink; retryForHours?: number; from?: (i: number) => string } = {}) {
    // Capture mode for the Guichet itself, so only the worker under test talks to the sink.
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    await g.outbox.stop();
    for (let i = 0; i < count; i++) {
      await g.intake.handle(Buffer.from(clientMail({ from: opts.from?.(i), subject: `Ticket ${i}`, body: 'x' }).raw), pipe);
    }
    // A whole hour ahead of the real clock, so the rows queued just now are due.
    const start = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000 + 3600_000);
    let clock = start;
    const logged: Array<[LogLevel, string]> = [];
    const mailer = createSmtpMailer({ url: (opts.to ?? sink).url, from: 'Support <support@help.example.test>', entry: opts.entry });
    const worker = createOutboxWorker({
      db: g.database.db, mailer, retryForHours: opts.retryForHours ?? 96, backoffSeconds: 60, now: () => clock,
      onRecovered: (trx, outage, at) => g.notifier.relayRecovered(trx, outage, at).then(() => undefined),
      log: (level, msg) => void logged.push([level, msg]),
    });
    // The HTTP app as src/app.ts wires it, its health reading this worker.
    const http = createHttpApp({
      db: g.database.db, apiToken: API_TOKEN, verbs: { notices: g.notifier, language: 'en' }, log: () => {},
      health: { mailbox: () => null, outbox: () => worker.health() },
      admin: { publicUrl: 'http://127.0.0.1:8025', defaultLanguage: 'en', dataDir: g.config.dataDir },
    });
    const rows = () => g.database.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    return {
      g, mailer, worker, rows, start, logged,
      at: (seconds: number) => new Date(start.getTime() + seconds * 1000).toISOString(),
      now: () => clock,
      advance(seconds: number) {
        clock = new Date(clock.getTime() + seconds * 1000);
      },
      async healthz() {
        // The details (why the outbox is stalled) are for token holders; anyone else reads only ok.
        const res = await http.request('/healthz', { headers: { authorization: `Bearer ${API_TOKEN}` } });
        return { status: res.status, body: (await res.json()) as any };
      },
      async close() {
        await worker.stop();
        mailer.close();
        await g.stop();
      },
    };
  }

  it('retries a transient refusal after the backoff, then records the server answer', async () => {
    sink.clear();
    const t = await withQueuedAcks(1);
    try {
      sink.failNext(1, 451);
      expect(await t.worker.runOnce()).toBe(0);
      let [row] = await t.rows();
      expect(row).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: t.at(60) });
      expect(row!.last_error).toMatch(/451/);

      expect(await t.worker.runOnce()).toBe(0); // not due yet
      expect(sink.messages).toHaveLength(0);

      t.advance(61);
      expect(await t.worker.runOnce()).toBe(1);
      [row] = await t.rows();
      expect(row).toMatchObject({ state: 'sent', attempts: 2, last_error: null, sent_at: t.at(61) });
      expect(row!.server_response).toMatch(/^250/);
      expect(sink.messages).toHaveLength(1);
      expect(await t.worker.runOnce()).toBe(0);
      expect(sink.messages).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('retries a 451 to DATA with a backoff doubling up to an hour, and fails the row once the retry window is over', async () => {
    sink.clear();
    const t = await withQueuedAcks(1, { retryForHours: 5 });
    try {
      sink.failNext(10_000, 451, 'DATA');
      const delays: number[] = [];
      for (let i = 0; i < 100; i++) {
        expect(await t.worker.runOnce()).toBe(0);
        const [row] = await t.rows();
        if (row!.state === 'failed') break;
        expect(row).toMatchObject({ state: 'pending', attempts: i + 1 });
        const delay = (Date.parse(row!.next_attempt_at) - t.now().getTime()) / 1000;
        delays.push(delay);
        expect(await t.worker.runOnce()).toBe(0); // not due before its time
        t.advance(delay);
      }
      // 1, 2, 4… minutes, then hourly; given up after five hours, not after a count of attempts.
      expect(delays.slice(0, 8)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
      const [row] = await t.rows();
      expect(row).toMatchObject({ state: 'failed', attempts: delays.length + 1 });
      expect(row!.last_error).toMatch(/451/);
      // The window counts from when the notification was queued.
      const age = t.now().getTime() - Date.parse(row!.created_at);
      expect(age).toBeGreaterThanOrEqual(5 * 3600_000);
      expect(age).toBeLessThan(6 * 3600_000);
      expect(sink.attempts).toBe(delays.length + 1);
      expect(sink.messages).toHaveLength(0);
      // The relay worked all along: the outbox was never paused.
      expect(t.worker.health().stalledSince).toBeNull();
    } finally {
      sink.failNext(0, 451);
      await t.close();
    }
  });

  it('fails at once a recipient refused with 550 at RCPT TO, marks the contact bouncing, and delivers the others', async () => {
    sink.clear();
    const t = await withQueuedAcks(3, { from: (i) => `client${i}@example.com` });
    try {
      sink.refuseRecipient('client1@example.com', 550);
      expect(await t.worker.runOnce()).toBe(2);
      const rows = await t.rows();
      expect(rows.map((r) => [r.recipient, r.state, r.attempts])).toEqual([
        ['client0@example.com', 'sent', 1],
        ['client1@example.com', 'failed', 1],
        ['client2@example.com', 'sent', 1],
      ]);
      expect(rows[1]!.server_response).toMatch(/^550/);
      const contacts = await t.g.database.db.selectFrom('contact').select(['email', 'bounced_at', 'bounce_reason']).orderBy('email').execute();
      expect(contacts.map((c) => [c.email, c.bounced_at !== null])).toEqual([
        ['client0@example.com', false], ['client1@example.com', true], ['client2@example.com', false],
      ]);
      expect(contacts[1]!.bounce_reason).toMatch(/550/);
      // The relay's connection pool may deliver them in either order.
      expect(sink.messages.map((m) => m.envelope.to).sort()).toEqual([['client0@example.com'], ['client2@example.com']]);
      expect(t.worker.health().stalledSince).toBeNull();
    } finally {
      sink.acceptRecipient('client1@example.com');
      await t.close();
    }
  });

  it('pauses while the relay refuses connections, burns no attempt, reports the stall, then delivers everything once and alerts staff once', async () => {
    const relay = await startSmtpSink();
    const t = await withQueuedAcks(3, { to: relay });
    try {
      await relay.down();
      expect(await t.worker.runOnce()).toBe(0);
      let rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0]]);
      expect(classifyFailure(Object.assign(new Error(rows[0]!.last_error!), { code: 'ESOCKET' }))).toBe('relay');
      expect(t.worker.health()).toMatchObject({ stalledSince: t.start, stalledForMs: 0 });

      // Just stalled: /healthz says so, still 200 (a short hiccup is not an outage).
      let health = await t.healthz();
      expect(health.status).toBe(200);
      expect(health.body.outbox).toMatchObject({ pending: 3, stalledSince: t.start.toISOString() });
      expect(health.body.outbox.lastError).toBeTruthy();

      // Two hours and a half of outage, the cron running every 15 s: probes only, no row touched.
      for (let s = 0; s < 9000; s += 15) {
        t.advance(15);
        expect(await t.worker.runOnce()).toBe(0);
      }
      rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0]]);
      health = await t.healthz();
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ ok: false, outbox: { pending: 3, stalledSince: t.start.toISOString() } });
      // One error line for the outage; the probes only warn, at most one an hour once backed off.
      expect(t.logged.filter(([level]) => level === 'error')).toHaveLength(1);
      expect(t.logged.filter(([, msg]) => msg.startsWith('outbox still paused')).length).toBeLessThanOrEqual(9);

      // Staff exist by the time the relay comes back: the admin gets the one notice.
      await addStaff(t.g.database.db, { email: 'admin@help.example.test', name: 'Ada Admin', admin: true }, t.now());
      await addStaff(t.g.database.db, { email: 'agent@help.example.test', name: 'Bob Agent' }, t.now());
      await relay.up();
      for (let s = 0; s <= 3600 && relay.messages.length < 4; s += 15) {
        t.advance(15);
        await t.worker.runOnce();
      }
      rows = await t.rows();
      expect(rows.map((r) => [r.event, r.recipient, r.state, r.attempts])).toEqual([
        ['ticket-received', rows[0]!.recipient, 'sent', 1],
        ['ticket-received', rows[1]!.recipient, 'sent', 1],
        ['ticket-received', rows[2]!.recipient, 'sent', 1],
        ['relay-outage', 'admin@help.example.test', 'sent', 1],
      ]);
      const alert = relay.messages.find((m) => m.envelope.to[0] === 'admin@help.example.test')!;
      expect(alert.parsed.subject).toMatch(/stalled/);
      expect(alert.parsed.text).toContain('could not be used from');
      health = await t.healthz();
      expect(health.status).toBe(200);
      expect(health.body.outbox).toEqual({ pending: 0, stalledSince: null, lastError: null });

      // Every notification exactly once; later runs send nothing more.
      for (let i = 0; i < 3; i++) {
        t.advance(3600);
        expect(await t.worker.runOnce()).toBe(0);
      }
      expect(relay.messages).toHaveLength(4);
      expect(new Set(relay.messages.map((m) => m.header('message-id'))).size).toBe(4);
    } finally {
      await t.close();
      await relay.up();
      await relay.close();
    }
  });

  it('pauses on 535 authentication refused, fails nothing, and resumes once the password works', async () => {
    const relay = await startSmtpSink({ auth: { user: 'guichet', pass: 'secret-one' } });
    const t = await withQueuedAcks(2, { to: relay });
    try {
      relay.refuseAuth(true);
      expect(await t.worker.runOnce()).toBe(0);
      let rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['pending', 0], ['pending', 0]]);
      const health = t.worker.health();
      expect(health.stalledSince).toEqual(t.start);
      expect(health.lastError).toMatch(/535|Invalid login/);
      for (let s = 0; s < 4 * 3600; s += 300) {
        t.advance(300);
        expect(await t.worker.runOnce()).toBe(0);
      }
      rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['pending', 0], ['pending', 0]]);
      expect(relay.messages).toHaveLength(0);

      relay.refuseAuth(false);
      t.advance(3600);
      expect(await t.worker.runOnce()).toBe(2);
      rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['sent', 1], ['sent', 1]]);
      expect(t.worker.health().stalledSince).toBeNull();
      expect(t.logged.filter(([level]) => level === 'error')).toHaveLength(1);
    } finally {
      await t.close();
      await relay.close();
    }
  });

  it('retries the sends of a sender thread that died, and sends the next ones on a new thread', async () => {
    sink.clear();
    const t = await withQueuedAcks(0, { entry: new URL('../support/dying-smtp-sender.worker.mjs', import.meta.url) });
    try {
      await t.g.intake.handle(Buffer.from(clientMail({ subject: 'Please die', body: 'x' }).raw), pipe);
      const [queued] = await t.rows();
      expect(queued!.subject).toContain('Please die');
      // The send in flight when the thread dies rejects, with an error the outbox will retry.
      const err = await t.mailer.send(queued!).then(() => null, (e: Error) => e);
      expect(err?.message).toBe('SMTP sender thread stopped: exited with code 70');
      expect(isPermanentFailure(err)).toBe(false);
      expect(classifyFailure(err)).toBe('transient');

      // Through the outbox: the run ends (nothing hangs) and records a retry.
      expect(await t.worker.runOnce()).toBe(0);
      let rows = await t.rows();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: t.at(60), last_error: 'SMTP sender thread stopped: exited with code 70' });

      // A later send starts a new thread and reaches the server; the first one is not due yet.
      await t.g.intake.handle(Buffer.from(clientMail({ subject: 'Still here', body: 'x' }).raw), pipe);
      expect(await t.worker.runOnce()).toBe(1);
      rows = await t.rows();
      expect(rows.map((r) => [r.state, r.attempts])).toEqual([['pending', 1], ['sent', 1]]);
      expect(sink.messages.map((m) => m.parsed.subject)).toEqual([rows[1]!.subject]);

      t.advance(61);
      expect(await t.worker.runOnce()).toBe(1);
      rows = await t.rows();
      expect(rows[0]).toMatchObject({ state: 'sent', attempts: 2, last_error: null, sent_at: t.at(61) });
      expect(rows[0]!.server_response).toMatch(/^250/);
      expect(sink.messages.map((m) => m.parsed.subject)).toEqual([rows[1]!.subject, rows[0]!.subject]);
    } finally {
      await t.close();
    }
  });
});
