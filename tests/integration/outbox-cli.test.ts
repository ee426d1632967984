// `guichet outbox list` and `guichet outbox retry` as processes, on both engines: notifications
// refused for real by an SMTP server (550 to RCPT TO) are listed as failed, put back to pending with
// their attempts kept and their contact's bounce mark left alone (or lifted with --clear-bounce),
// then delivered by the outbox once the recipient is accepted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../../src/notify/mailer.ts';
import { createOutboxWorker } from '../../src/notify/outbox-worker.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail, SUPPORT } from '../support/guichet.ts';
import { runGuichet } from '../support/cli.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const engines = await testEngines();

describe.each(engines)('guichet outbox on $name', (engine) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
    await engine.cleanup();
  });

  it('lists failed notifications and retries them, by id or all, keeping attempts and (unless asked) the bounce mark', async () => {
    const databaseUrl = await engine.freshUrl();
    const g = await buildGuichet({ databaseUrl });
    await g.outbox.stop();
    const mailer = createSmtpMailer({ url: sink.url, from: `Support <${SUPPORT}>` });
    const worker = createOutboxWorker({ db: g.database.db, mailer, retryForHours: 96, backoffSeconds: 60 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-outbox-cli-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      database: { url: databaseUrl }, dataDir: './data', support: { address: SUPPORT }, outbox: { captureDir: './sent' },
    }));
    const rows = () => g.database.db.selectFrom('outbox').select(['id', 'recipient', 'state', 'attempts']).orderBy('id').execute();
    const bounced = async (email: string) =>
      (await g.database.db.selectFrom('contact').select('bounced_at').where('email', '=', email).executeTakeFirstOrThrow()).bounced_at !== null;
    try {
      for (const from of ['gone1@example.com', 'gone2@example.com', 'fine@example.com']) {
        await g.intake.handle(Buffer.from(clientMail({ from, subject: `From ${from}`, body: 'x' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      }
      sink.refuseRecipient('gone1@example.com');
      sink.refuseRecipient('gone2@example.com');
      expect(await worker.runOnce()).toBe(1);
      const [one, two, three] = await rows();
      expect([one, two, three].map((r) => [r!.recipient, r!.state, r!.attempts])).toEqual([
        ['gone1@example.com', 'failed', 1], ['gone2@example.com', 'failed', 1], ['fine@example.com', 'sent', 1],
      ]);

      let run = await runGuichet(['outbox', 'list', '--failed'], { cwd: dir });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n')).toHaveLength(2);
      expect(run.stdout).toMatch(new RegExp(`${one!.id} failed\\s+ticket-received to gone1@example.com, 1 attempt\\(s\\).*550`));

      // By id: back to pending, attempts kept, the contact still marked bouncing.
      run = await runGuichet(['outbox', 'retry', String(one!.id)], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${one!.id} to gone1@example.com: pending again`);
      expect((await rows()).map((r) => [r.state, r.attempts])).toEqual([['pending', 1], ['failed', 1], ['sent', 1]]);
      expect(await bounced('gone1@example.com')).toBe(true);

      // An id that names no failed notification changes nothing.
      run = await runGuichet(['outbox', 'retry', String(three!.id)], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`no failed notification with id ${three!.id}`);
      run = await runGuichet(['outbox', 'retry'], { cwd: dir });
      expect(run.code).toBe(2);

      // All failed, lifting the bounce mark.
      run = await runGuichet(['outbox', 'retry', '--all-failed', '--clear-bounce'], { cwd: dir });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('1 notification(s) will be sent');
      expect((await rows()).map((r) => [r.state, r.attempts])).toEqual([['pending', 1], ['pending', 1], ['sent', 1]]);
      expect(await bounced('gone2@example.com')).toBe(false);
      expect(await bounced('gone1@example.com')).toBe(true);

      // The addresses work again: the outbox delivers both, each once.
      sink.acceptRecipient('gone1@example.com');
      sink.acceptRecipient('gone2@example.com');
      sink.clear();
      expect(await worker.runOnce()).toBe(2);
      expect((await rows()).map((r) => [r.state, r.attempts])).toEqual([['sent', 2], ['sent', 2], ['sent', 1]]);
      expect(sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['gone1@example.com', 'gone2@example.com']);

      run = await runGuichet(['outbox', 'list'], { cwd: dir });
      expect(run.stdout).toBe('nothing waiting or failed\n');
    } finally {
      await worker.stop();
      mailer.close();
      await g.stop();
    }
    // Five processes started, each loading the database libraries.
  }, 120_000);
});
