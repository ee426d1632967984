// Wires one Guichet process from a validated Config: database, renderer, notices, intake pipeline,
// outbox, the mail sources (IMAP poller, SMTP intake) and the HTTP app. Everything is built here and
// passed down, so a test builds the same process with its own peers and no globals. After every
// committed intake batch, HTTP write and job run, the outbox is asked to look for mail to send.
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import cron from 'node-cron';
import { supportDomain, type Config } from './config.ts';
import { runAlone, startLeadership, type Leadership } from './db/advisory-lock.ts';
import { openDatabase, type Db } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { installationSecret } from './db/secrets.ts';
import { createHttpApp } from './http/app.ts';
import { autoCloseResolved } from './jobs/auto-close.ts';
import { silentLog, type Log } from './log.ts';
import { createImapPoller, type ImapPoller } from './mail/imap-poller.ts';
import type { DnsResolver } from './mail/dkim.ts';
import { rejectByStaff } from './mail/inbound.ts';
import { createIntake, type Intake } from './mail/intake.ts';
import { parseMail } from './mail/parse.ts';
import { startSmtpIntake, type SmtpIntake } from './mail/smtp-intake.ts';
import { createCaptureMailer, createSmtpMailer, type Mailer } from './notify/mailer.ts';
import { createNotifier, type Notifier } from './notify/notifier.ts';
import { OutboxError, retryFailed } from './notify/outbox.ts';
import { createOutboxWorker, type OutboxWorker } from './notify/outbox-worker.ts';
import { createRenderer } from './notify/render.ts';
import { isOurAddress } from './protocol/addresses.ts';
import { createMetrics, INBOUND_STATES_WATCHED, type Levels, type MetricsRegistry } from './metrics.ts';

/**
 * A pending row this old is replayed at start: younger, it may be in the hands of a process that is
 * still working (another instance on PostgreSQL, a `guichet ingest`), which applies it in seconds.
 */
const REPLAY_AFTER_MS = 10_000;
/** An unfinished large-message file untouched this long is removed at start: nothing writes to it any more. */
const STALE_SPOOL_MS = 60 * 60_000;

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

export interface Guichet {
  config: Config;
  database: Db;
  intake: Intake;
  notifier: Notifier;
  outbox: OutboxWorker;
  mailer: Mailer;
  http: ReturnType<typeof createHttpApp>;
  poller: ImapPoller | null;
  metrics: MetricsRegistry;
  /** Starts the mail sources, the scheduler and (unless `listen: false`) the HTTP server. */
  start(opts?: { listen?: boolean }): Promise<{ httpPort: number | null; smtpPort: number | null }>;
  /**
   * Takes in no more mail, lets the batch in hand commit and the sends in flight end, then closes
   * the database. Not bounded here: `guichet start` bounds it (shutdownSeconds) with stillRunning().
   */
  stop(): Promise<void>;
  /** What stop() is still waiting for, named for the operator's log line. */
  stillRunning(): string[];
}

export async function createGuichet(
  config: Config,
  /**
   * `prepareThread: false` for one-shot commands, where starting a thread costs more than it saves;
   * `dnsResolver` for DKIM checks (authentication.verifyDkim), the system's when unset.
   */
  opts: { log?: Log; now?: () => Date; prepareThread?: boolean; dnsResolver?: DnsResolver } = {},
): Promise<Guichet> {
  const log = opts.log ?? silentLog;
  const now = opts.now ?? (() => new Date());
  // Private to Guichet's user: raw mail and attachments are other people's correspondence.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700);
  const database = openDatabase(config.database.url);
  await migrateToLatest(database.db);
  // Levels are read at scrape time from the database and the poller, so they hold across restarts
  // and across processes sharing the database. `outbox` and `poller` exist by the first scrape.
  // A process waiting while another leads the mailbox reports none: only the leader's connection is watched.
  const metrics = createMetrics(() => readLevels(database.db, () => (poller && leadership?.leading() !== false ? poller.state() : null), () => outbox.health().stalledSince !== null, now));
  const renderer = await createRenderer({ templatesDir: TEMPLATES_DIR, productName: config.support.name, cacheDir: path.join(config.dataDir, 'cache') });
  const replySecret = config.authentication.secret ?? (await installationSecret(database.db, 'reply-token', now()));

  const from = `${config.support.name} <${config.support.address}>`;
  const mailer: Mailer = config.sending.kind === 'capture'
    ? createCaptureMailer({ dir: config.sending.dir, from })
    : createSmtpMailer({ url: config.sending.url, from, tlsRejectUnauthorized: config.sending.tlsRejectUnauthorized });
  const outbox = createOutboxWorker({
    db: database.db,
    mailer,
    retryForHours: config.outbox.retryForHours,
    backoffSeconds: config.outbox.backoffSeconds,
    // One staff notice per relay outage, queued once the relay works again.
    onRecovered: (trx, outage, at) => notifier.relayRecovered(trx, outage, at).then(() => undefined),
    // Claims name this process; the leases of one that is gone are taken over at the first run.
    leases: database.leases,
    now: opts.now,
    log,
    metrics,
  });
  const sendSoon = () => outbox.kick();
  const notifier = createNotifier({
    renderer,
    domain: supportDomain(config),
    supportAddress: config.support.address,
    replySecret: config.authentication.replyTokens ? replySecret : null,
    tagPrefix: config.support.tagPrefix,
    defaultLanguage: config.defaultLanguage,
    automaticMail: config.automaticMail,
    autoCloseDays: config.workflow.autoCloseDays,
    log,
  });
  const intake = createIntake({
    db: database.db,
    dataDir: config.dataDir,
    notices: notifier,
    settings: {
      domain: supportDomain(config),
      supportAddresses: [config.support.address.toLowerCase()],
      tagPrefix: config.support.tagPrefix,
      defaultLanguage: config.defaultLanguage,
      unknownSenders: config.intake.unknownSenders,
      watchers: config.intake.watchers,
      maxWatchers: config.intake.maxWatchers,
      replyToClosed: config.workflow.replyToClosed,
      clients: config.authentication.clients,
      maxNewTicketsPerDay: config.intake.maxNewTicketsPerDay,
      trustedAuthservIds: config.authentication.trustedAuthservIds,
      replySecret,
    },
    limits: config.limits,
    thread: opts.prepareThread,
    dkim: config.authentication.verifyDkim ? { resolver: opts.dnsResolver } : null,
    onCommitted: sendSoon,
    now: opts.now,
    log,
    metrics,
  });

  const poller = config.imap
    ? createImapPoller({
        url: config.imap.url,
        tlsRejectUnauthorized: config.imap.tlsRejectUnauthorized,
        idle: config.imap.idle,
        pollCron: config.imap.pollCron,
        markAs: config.imap.markAs,
        chunkBytes: config.imap.chunkBytes,
        spool: intake.spool,
        lastUid: intake.lastUid,
        // Through the intake object, so whatever wraps its method (a benchmark's timer) sees every chunk.
        handle: (chunk) => intake.handleBatch(chunk),
        // Most of the stop's bound goes to the chunk in hand; the rest to closing after it.
        stopGraceMs: Math.max(1000, config.shutdownSeconds * 1000 - 2000),
        log,
      })
    : null;

  const http = createHttpApp({
    db: database.db,
    apiToken: config.admin.apiToken,
    supportName: config.support.name,
    // `leading` is null until start() asks for the mailbox: a process not started is not waiting for another.
    health: { mailbox: () => (poller ? { ...poller.state(), leading: leadership?.leading() ?? null } : null), outbox: () => outbox.health() },
    metrics: { contentType: metrics.contentType, render: () => metrics.render(), public: config.metrics.public },
    verbs: { notices: notifier, language: config.defaultLanguage },
    onCommitted: sendSoon,
    log,
    admin: {
      publicUrl: config.publicUrl, defaultLanguage: config.defaultLanguage, dataDir: config.dataDir, now: opts.now,
      demo: config.demo ? { supportAddress: config.support.address } : null,
      mailboxes: mailboxSummary(config),
      // The People and Mail pages act through the intake and the outbox, which http/ does not import.
      ports: {
        inbound: {
          replay: (id) => intake.replay(id),
          release: (id) => intake.release(id),
          reject: (id, staffEmail) => rejectByStaff(database.db, id, staffEmail, now()),
          parse: parseMail,
          deliver: (raw) => intake.handle(raw, { mailbox: 'admin', uidValidity: null, uid: null }),
        },
        outbox: {
          retry: (id) => retryFailed(database.db, { ids: [id] }, { now: now() }).then(
            () => true,
            (err: unknown) => (err instanceof OutboxError ? false : Promise.reject(err)),
          ),
        },
        accountNotices: notifier,
        staffLinks: { queue: (trx, notice, at) => notifier.staffLink(trx, notice, at) },
      },
    },
  });

  let server: ServerType | null = null;
  let leadership: Leadership | null = null;
  let smtp: SmtpIntake | null = null;
  let jobs: Array<ReturnType<typeof cron.schedule>> = [];
  let starting: Promise<unknown> | null = null;
  let stopRequested = false;
  const waitingFor = new Set<string>();
  const step = async (name: string, run: () => Promise<unknown>) => {
    waitingFor.add(name);
    try {
      await run();
    } finally {
      waitingFor.delete(name);
    }
  };

  const guichet: Guichet = {
    config, database, intake, notifier, outbox, mailer, http, poller, metrics,
    stillRunning: () => [...waitingFor],
    async start(startOpts = {}) {
      metrics.withProcessMetrics();
      jobs = [
        cron.schedule(config.outbox.retryCron, () => void outbox.runOnce(), { noOverlap: true }),
        // Every process has the schedule; on PostgreSQL one of them runs each tick.
        cron.schedule(config.workflow.autoCloseCron, async () => {
          const closed = await runAlone(database.db, 'auto-close', () =>
            autoCloseResolved(database.db, { notices: notifier, autoCloseDays: config.workflow.autoCloseDays }, now(), log));
          if (closed?.length) sendSoon();
        }, { noOverlap: true }),
      ];
      void outbox.runOnce();
      intake.warm();
      // Before any source starts: what an earlier run stored and never applied goes first, in order.
      await step('replay of stored mail', async () => {
        const removed = await intake.removeStaleSpools(STALE_SPOOL_MS);
        if (removed.length) log('info', `removed ${removed.length} unfinished large-message file(s) an earlier run left`, { files: removed });
        const replayed = await intake.replayStored(REPLAY_AFTER_MS);
        if (replayed.length) {
          const ids = replayed.map((r) => r.inboundId);
          log('info', `replayed ${replayed.length} stored message(s) an earlier run left pending`, { replayed: ids.length, inboundIds: ids });
        }
      });
      if (config.smtpIntake) {
        const ours = [config.support.address.toLowerCase()];
        // A recipient is ours when it is the support address, a plus variant of it, or a project's
        // address (or a plus variant of one).
        const isOurs = async (address: string) => {
          const a = address.toLowerCase();
          if (isOurAddress(a, ours)) return true;
          const base = a.replace(/^([^+@]+)\+[^@]*@/, '$1@');
          const row = await database.db.selectFrom('project_address').select('address').where('address', 'in', [a, base]).executeTakeFirst();
          return row !== undefined;
        };
        smtp = await startSmtpIntake({
          listen: config.smtpIntake.listen,
          maxBytes: config.limits.maxMessageBytes,
          maxClients: config.smtpIntake.maxClients,
          auth: config.smtpIntake.auth,
          allowedClients: config.smtpIntake.allowedClients,
          isOurs,
          handle: intake.handle,
          spool: intake.spool,
        });
      }
      // A stop asked meanwhile (a signal during the first IMAP round, which takes in the whole
      // backlog) lets nothing more start.
      // One process at a time reads the mailbox (PostgreSQL: an advisory lock on the mailbox; SQLite:
      // this process alone). The others wait, asking every 2 s, and take over when the leader is gone.
      if (poller && config.imap && !stopRequested) {
        leadership = await startLeadership({
          url: config.database.url,
          name: mailboxLockName(config.imap.url),
          onLead: async () => {
            if (!stopRequested) await poller.start();
          },
          onLose: () => poller.stop(),
          log,
        });
      }
      let httpPort: number | null = null;
      if (startOpts.listen !== false && !stopRequested) {
        const { host, port } = config.admin.listen;
        httpPort = await new Promise<number>((resolve, reject) => {
          server = serve({ fetch: http.fetch, hostname: host, port }, (info) => resolve(info.port));
          server.once('error', reject);
        });
      }
      return { httpPort, smtpPort: smtp?.port ?? null };
    },
    async stop() {
      stopRequested = true;
      // start() may still be in its first IMAP round: stopping the poller now ends that round after
      // the chunk in hand, and start() returns.
      const pollerStopped = step('IMAP poller (the chunk in hand)', async () => {
        await poller?.stop();
        await starting?.catch(() => {});
        await leadership?.stop();
      });
      await step('start', async () => starting?.catch(() => {}));
      await step('scheduled jobs (auto-close)', async () => {
        for (const job of jobs) await job.destroy();
      });
      // The sources stop taking mail first, then the intake finishes what they handed over; the
      // outbox and the HTTP server wind down meanwhile. The database closes after all of them.
      await Promise.all([
        (async () => {
          await Promise.all([
            pollerStopped,
            step('SMTP receiver (open sessions)', async () => smtp?.close()),
          ]);
          await step('intake (the batch in hand)', () => intake.close());
        })(),
        step('HTTP server (open requests)', async () => {
          if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
        }),
        step('outbox (sends in flight)', () => outbox.stop()),
      ]);
      await step('database', async () => {
        mailer.close();
        await database.close();
      });
    },
  };
  // So that stop() knows of a start() in progress, however it ends.
  const startOnce = guichet.start;
  guichet.start = (startOpts) => {
    const run = startOnce(startOpts);
    starting = run;
    return run;
  };
  return guichet;
}

/** The levels /metrics reports, read at scrape time; a part that cannot be read is left out. */
async function readLevels(db: Db['db'], poller: () => { mailbox: string; connected: boolean; lastPollAt: Date | null } | null, relayStalled: () => boolean, now: () => Date): Promise<Levels> {
  const state = poller();
  const mailbox = state && { name: state.mailbox, connected: state.connected, lastPollAt: state.lastPollAt };
  const levels: Levels = { outbox: null, inbound: null, relayStalled: relayStalled(), mailbox, database: false };
  try {
    const rows = await db
      .selectFrom('outbox')
      .select((eb) => ['state', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
      .where('state', 'in', ['pending', 'failed'])
      .groupBy('state')
      .execute();
    const pending = rows.find((r) => r.state === 'pending');
    const oldest = pending?.oldest ? Date.parse(String(pending.oldest)) : NaN;
    levels.outbox = {
      pending: Number(pending?.n ?? 0),
      oldestPendingSeconds: Number.isFinite(oldest) ? Math.max(0, (now().getTime() - oldest) / 1000) : 0,
      failed: Number(rows.find((r) => r.state === 'failed')?.n ?? 0),
    };
    const inbound = await db
      .selectFrom('inbound_message')
      .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
      .where('state', 'in', [...INBOUND_STATES_WATCHED])
      .groupBy('state')
      .execute();
    levels.inbound = Object.fromEntries(inbound.map((r) => [r.state, Number(r.n)]));
    levels.database = true;
  } catch {
    // Reported as guichet_database_up 0; /healthz/ready says why.
  }
  return levels;
}

/** What the mailbox's lock is named after: its server, user and folder, not the password that opens it. */
export function mailboxLockName(url: string): string {
  try {
    const u = new URL(url);
    return `mailbox ${u.protocol}//${decodeURIComponent(u.username)}@${u.host.toLowerCase()}${decodeURIComponent(u.pathname)}`;
  } catch {
    return `mailbox ${url}`;
  }
}

/** What the setup pages show of the mail connections: plain values, every password hidden. */
function mailboxSummary(config: Config) {
  const hide = (url: string) => {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
    }
  };
  const { imap, smtpIntake, sending } = config;
  return {
    supportAddress: config.support.address,
    imap: imap && { url: hide(imap.url), idle: imap.idle, pollCron: imap.pollCron, markAs: imap.markAs.kind === 'seen' ? 'seen' : `move → ${imap.markAs.folder}` },
    smtpIntake: smtpIntake && { listen: `${smtpIntake.listen.host}:${smtpIntake.listen.port}`, auth: smtpIntake.auth !== null, allowedClients: smtpIntake.allowedClients },
    sending: sending.kind === 'smtp' ? { kind: 'smtp' as const, url: hide(sending.url) } : { kind: 'capture' as const, dir: sending.dir },
  };
}
