// The outbox against a real SMTP server: transient refusals are retried with backoff, permanent ones
// fail at once with the server's answer, a row is never sent twice, and a sender thread that dies
// costs a retry, not a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer, isPermanentFailure } from '../../src/notify/mailer.ts';
import { createOutboxWorker } from '../../src/notify/outbox-worker.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';
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

  /** `entry`: the SMTP sender thread's entry point, when not the real one. */
  async function withQueuedAcks(count: number, entry?: URL) {
    // Capture mode for the Guichet itself, so only the worker under test talks to the sink.
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    await g.outbox.stop();
    for (let i = 0; i < count; i++) {
      await g.intake.handle(Buffer.from(clientMail({ subject: `Ticket ${i}`, body: 'x' }).raw), pipe);
    }
    // A whole hour ahead of the real clock, so the rows queued just now are due.
    const start = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000 + 3600_000);
    let clock = start;
    const mailer = createSmtpMailer({ url: sink.url, from: 'Support <support@help.example.test>', entry });
    const worker = createOutboxWorker({ db: g.database.db, mailer, maxAttempts: 3, backoffSeconds: 60, now: () => clock });
    const rows = () => g.database.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    return {
      g, mailer, worker, rows, start,
      at: (seconds: number) => new Date(start.getTime() + seconds * 1000).toISOString(),
      advance(seconds: number) {
        clock = new Date(clock.getTime() + seconds * 1000);
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

  it('fails at once on a permanent refusal, and after maxAttempts on transient ones', async () => {
    sink.clear();
    const t = await withQueuedAcks(2);
    try {
      sink.failNext(1, 550);
      await t.worker.runOnce();
      let rows = await t.rows();
      expect(rows[0]).toMatchObject({ state: 'failed', attempts: 1 });
      expect(rows[0]!.server_response).toMatch(/550/);
      expect(rows[1]).toMatchObject({ state: 'sent' });

      sink.clear();
      await t.g.intake.handle(Buffer.from(clientMail({ subject: 'Third', body: 'x' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      for (let i = 0; i < 3; i++) {
        sink.failNext(1, 452);
        await t.worker.runOnce();
        t.advance(3600);
      }
      rows = await t.rows();
      expect(rows[2]).toMatchObject({ state: 'failed', attempts: 3 });
      expect(rows[2]!.last_error).toMatch(/452/);
      expect(sink.messages).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  it('retries the sends of a sender thread that died, and sends the next ones on a new thread', async () => {
    sink.clear();
    const t = await withQueuedAcks(0, new URL('../support/dying-smtp-sender.worker.mjs', import.meta.url));
    try {
      await t.g.intake.handle(Buffer.from(clientMail({ subject: 'Please die', body: 'x' }).raw), pipe);
      const [queued] = await t.rows();
      expect(queued!.subject).toContain('Please die');
      // The send in flight when the thread dies rejects, with an error the outbox will retry.
      const err = await t.mailer.send(queued!).then(() => null, (e: Error) => e);
      expect(err?.message).toBe('SMTP sender thread stopped: exited with code 70');
      expect(isPermanentFailure(err)).toBe(false);

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
