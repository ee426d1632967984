// Outages of the servers around Guichet, each with the real server and a real Guichet process
// (issue 11, item 4): Dovecot stopped while mail waits, then back; the relay refusing with 451 for a
// while; PostgreSQL cutting every session and refusing new ones for a while, as a restart does to a
// client (the shared server itself is not restarted: other suites use it); the data folder full. In
// each, nothing is lost or taken twice, the source is told to retry, and Guichet resumes by itself.
import { execFileSync } from 'node:child_process';
import { chownSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { runGuichet } from '../support/cli.ts';
import { PG_ADMIN_URL } from '../support/databases.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { buildGuichet, clientMail, getTicket, SUPPORT } from '../support/guichet.ts';
import { waitUntil } from '../support/wait.ts';

const suite = await mailSuite('outages', { enginesAtOnce: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Mounting a small tmpfs as the data folder needs root; in CI the disk-full test must run.
const canMount = process.getuid?.() === 0;
if (!canMount && process.env.CI !== 'true') {
  console.warn('\n!!! Not root: the disk-full outage test is SKIPPED (it mounts a small tmpfs as the data folder) !!!\n');
}

suite('outages on $name', (engine) => {
  const peers = mailPeers(engine);
  const boxUrl = (mailbox: string) => peers.dovecot.url.replace(/\/INBOX$/, `/${mailbox}`);

  async function ticketsBySubject(g: Guichet): Promise<Map<string, number>> {
    const rows = await g.database.db.selectFrom('ticket').select('summary').execute();
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.summary, (counts.get(r.summary) ?? 0) + 1);
    return counts;
  }
  async function unseen(mailbox: string): Promise<number> {
    const c = await peers.dovecot.connect();
    try {
      await c.mailboxOpen(mailbox);
      const rows = await c.fetchAll('1:*', { uid: true, flags: true }, { uid: true });
      return rows.filter((r) => !r.flags?.has('\\Seen')).length;
    } finally {
      await c.logout();
    }
  }
  /** Acknowledgements the sink received for these subjects, by subject. */
  function acksFor(subjects: string[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of peers.sink.messages) {
      const s = subjects.find((x) => m.parsed.subject?.endsWith(`] ${x}`));
      if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    return counts;
  }
  /** Each subject exactly once. */
  const once = (subjects: string[]) => new Map(subjects.map((s) => [s, 1]));

  /**
   * Delivers into the Maildir behind the mailbox while Dovecot is stopped, as the MTA's local
   * delivery does: the mail is there, waiting, when the IMAP server comes back.
   */
  function deliverToMaildir(mailbox: string, raw: string): void {
    const folder = path.join(peers.dovecot.dir, 'mail', peers.dovecot.user, `.${mailbox}`);
    const { uid, gid } = statSync(folder);
    const name = `${Date.now()}.M${Math.random().toString(36).slice(2)}P${process.pid}.test`;
    const tmp = path.join(folder, 'tmp', name);
    writeFileSync(tmp, raw);
    chownSync(tmp, uid, gid);
    execFileSync('mv', [tmp, path.join(folder, 'new', name)]);
  }

  it('takes every mail once after Dovecot was stopped for longer than the backoff, reconnecting within 5 s of its return', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), imapUrl: boxUrl('Down'), smtpUrl: peers.sink.url });
    try {
      await peers.dovecot.append(clientMail({ subject: 'Down 0', body: 'before' }).raw, 'Down');
      await g.start({ listen: false });
      await waitUntil(async () => (await ticketsBySubject(g)).size === 1, 'the first mail');

      await peers.dovecot.stop({ keep: true });
      await waitUntil(async () => !g.poller!.state().connected, 'the poller to see Dovecot gone');
      const subjects = ['Down 0'];
      for (let i = 1; i <= 6; i++) {
        subjects.push(`Down ${i}`);
        deliverToMaildir('Down', clientMail({ subject: `Down ${i}`, body: 'while Dovecot was stopped' }).raw);
      }
      // Longer than the reconnect backoff grows to, so it has grown when Dovecot returns.
      await sleep(12_000);
      await peers.dovecot.start();
      const back = Date.now();
      await waitUntil(async () => g.poller!.state().connected, 'the poller to reconnect', 5_000);
      expect(Date.now() - back).toBeLessThan(5_000);
      await waitUntil(async () => (await ticketsBySubject(g)).size === subjects.length, 'every mail taken in', 10_000);
      await waitUntil(async () => (await unseen('Down')) === 0, 'every mail flagged');
      expect(await ticketsBySubject(g)).toEqual(once(subjects));
    } finally {
      await g.stop();
    }
  }, 45_000);

  it('delivers every notification once after the relay refused with 451 for a while', async () => {
    peers.sink.clear();
    const g = await buildGuichet({
      databaseUrl: await engine.freshUrl(), smtpUrl: peers.sink.url,
      overrides: { outbox: { backoffSeconds: 1, retryCron: '* * * * * *' } },
    });
    try {
      await g.start({ listen: false });
      peers.sink.failNext(1_000_000, 451);
      const subjects = Array.from({ length: 5 }, (_, i) => `Relay ${i}`);
      // One sender each: a client's acknowledgements are rationed, and all five must go out.
      for (const [i, subject] of subjects.entries()) {
        const raw = clientMail({ from: `Client ${i} <relay${i}@example.com>`, subject, body: 'x' }).raw;
        await g.intake.handle(Buffer.from(raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      }
      await sleep(6_000);
      expect(peers.sink.messages).toHaveLength(0);
      const waiting = await g.database.db.selectFrom('outbox').select(['state', 'attempts']).execute();
      expect(waiting.map((r) => r.state)).toEqual(subjects.map(() => 'pending'));
      expect(waiting.every((r) => r.attempts >= 2)).toBe(true); // refused, retried, refused again

      peers.sink.failNext(0, 451);
      await waitUntil(async () => acksFor(subjects).size === subjects.length, 'every acknowledgement', 20_000);
      await sleep(2_000); // a second send would show by now
      expect(acksFor(subjects)).toEqual(once(subjects));
      const states = await g.database.db.selectFrom('outbox').select('state').execute();
      expect(states.every((r) => r.state === 'sent')).toBe(true);
    } finally {
      await g.stop();
    }
  }, 45_000);

  it.runIf(engine.name === 'postgres')('recovers without a restart when PostgreSQL ends its sessions and refuses new ones for a while', async () => {
    peers.sink.clear();
    const databaseUrl = await engine.freshUrl();
    const dbName = new URL(databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const g = await buildGuichet({
      databaseUrl, imapUrl: boxUrl('Cut'), smtpUrl: peers.sink.url,
      overrides: { outbox: { backoffSeconds: 1, retryCron: '* * * * * *' } },
    });
    try {
      await g.start({ listen: false });
      // The acknowledgement of the first mail stays pending through the cut.
      peers.sink.failNext(1_000_000, 451);
      await peers.dovecot.append(clientMail({ subject: 'Cut before', body: 'x' }).raw, 'Cut');
      await waitUntil(async () => (await ticketsBySubject(g)).size === 1, 'the first mail');

      // What a restart does to a client: every session ended, new ones refused until it is back.
      await admin.query(`alter database ${dbName} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
      await peers.dovecot.append(clientMail({ subject: 'Cut during', body: 'x' }).raw, 'Cut');
      await sleep(3_000);
      expect(await unseen('Cut')).toBe(1); // not taken, so left for later
      peers.sink.failNext(0, 451);
      await admin.query(`alter database ${dbName} allow_connections true`);

      await peers.dovecot.append(clientMail({ subject: 'Cut after', body: 'x' }).raw, 'Cut');
      const subjects = ['Cut before', 'Cut during', 'Cut after'];
      await waitUntil(async () => (await ticketsBySubject(g).catch(() => new Map())).size === 3, 'every mail taken in', 20_000);
      await waitUntil(async () => acksFor(subjects).size === 3, 'every acknowledgement', 20_000).catch(async (e) => {
        // Which row is stuck, and whether a lease holds it, is what a failure here needs to say.
        const rows = await g.database.db.selectFrom('outbox').select(['state', 'attempts', 'last_error', 'lease_holder', 'next_attempt_at']).execute();
        throw new Error(`${(e as Error).message}: ${JSON.stringify(rows)}`);
      });
      await waitUntil(async () => (await unseen('Cut')) === 0, 'every mail flagged');
      await sleep(1_500);
      expect(await ticketsBySubject(g)).toEqual(once(subjects));
      expect(acksFor(subjects)).toEqual(once(subjects));
      expect((await getTicket(g, 1)).number).toBe(1); // the API answers too
    } finally {
      await admin.query(`alter database ${dbName} allow_connections true`).catch(() => {});
      await admin.end();
      await g.stop();
    }
  }, 45_000);

  it.runIf(canMount || process.env.CI === 'true')('refuses intake in a way each source retries while the data folder is full, and takes everything in once space returns', async () => {
    peers.sink.clear();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dataDir]);
    const databaseUrl = await engine.freshUrl();
    let g: Guichet | null = null;
    try {
      g = await buildGuichet({
        databaseUrl, dataDir, imapUrl: boxUrl('Full'), smtpUrl: peers.sink.url,
        overrides: { smtpIntake: { listen: '127.0.0.1:0' } },
      });
      const { smtpPort } = await g.start({ listen: false });
      const cliDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-full-cli-'));
      writeFileSync(path.join(cliDir, 'config.json'), JSON.stringify({
        database: { url: databaseUrl }, dataDir, support: { address: SUPPORT }, smtp: { url: peers.sink.url },
        intake: { unknownSenders: 'accept' },
      }));
      const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort!, secure: false, ignoreTLS: true });
      const viaSmtp = clientMail({ subject: 'Full smtp', body: 'x' });
      const viaPipe = clientMail({ subject: 'Full pipe', body: 'x' });
      const send = () => smtp.sendMail({ envelope: { from: 'ada@example.com', to: [SUPPORT] }, raw: viaSmtp.raw });

      // Fills the folder to the last page.
      const ballast = path.join(dataDir, 'ballast');
      const fd = openSync(ballast, 'w');
      try {
        const block = Buffer.alloc(64 * 1024, 1);
        for (;;) writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }

      await peers.dovecot.append(clientMail({ subject: 'Full imap', body: 'x' }).raw, 'Full');
      await expect(send()).rejects.toMatchObject({ responseCode: 452 });
      const piped = await runGuichet(['ingest'], { cwd: cliDir, input: viaPipe.raw });
      expect(piped.code).toBe(75);
      await sleep(1_500);
      expect(await unseen('Full')).toBe(1);
      expect(await ticketsBySubject(g)).toEqual(new Map());
      // A failed write leaves no partial file eating what space there is.
      const leftovers = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
      expect(leftovers(dataDir)).toEqual([]);

      rmSync(ballast);
      await send();
      const again = await runGuichet(['ingest'], { cwd: cliDir, input: viaPipe.raw });
      expect(again.code).toBe(0);
      const subjects = ['Full imap', 'Full smtp', 'Full pipe'];
      await waitUntil(async () => (await ticketsBySubject(g!)).size === 3, 'every mail taken in', 15_000);
      await waitUntil(async () => (await unseen('Full')) === 0, 'the IMAP mail flagged');
      expect(await ticketsBySubject(g)).toEqual(once(subjects));
      smtp.close();
    } finally {
      await g?.stop();
      execFileSync('umount', [dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 45_000);
});
