// Wires one Guichet process from a validated Config: database, renderer, notices, intake pipeline,
// outbox, the mail sources (IMAP poller, SMTP intake) and the HTTP app. Everything is built here and
// passed down, so a test builds the same process with its own peers and no globals. After every
// committed intake batch, HTTP write and job run, the outbox is asked to look for mail to send.
import { chmod, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import cron from 'node-cron';
import { supportDomain, type Config } from './config.ts';
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
  /** Starts the mail sources, the scheduler and (unless `listen: false`) the HTTP server. */
  start(opts?: { listen?: boolean }): Promise<{ httpPort: number | null; smtpPort: number | null }>;
  stop(): Promise<void>;
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
  const renderer = await createRenderer({ templatesDir: TEMPLATES_DIR, productName: config.support.name });
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
  });

  const poller = config.imap
    ? createImapPoller({
        url: config.imap.url,
        tlsRejectUnauthorized: config.imap.tlsRejectUnauthorized,
        idle: config.imap.idle,
        pollCron: config.imap.pollCron,
        markAs: config.imap.markAs,
        chunkBytes: config.imap.chunkBytes,
        lastUid: intake.lastUid,
        // Through the intake object, so whatever wraps its method (a benchmark's timer) sees every chunk.
        handle: (chunk) => intake.handleBatch(chunk),
        log,
      })
    : null;

  const http = createHttpApp({
    db: database.db,
    apiToken: config.admin.apiToken,
    supportName: config.support.name,
    health: { mailbox: () => (poller ? poller.state() : null), outbox: () => outbox.health() },
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
  let smtp: SmtpIntake | null = null;
  let jobs: Array<ReturnType<typeof cron.schedule>> = [];

  return {
    config, database, intake, notifier, outbox, mailer, http, poller,
    async start(startOpts = {}) {
      jobs = [
        cron.schedule(config.outbox.retryCron, () => void outbox.runOnce(), { noOverlap: true }),
        cron.schedule(config.workflow.autoCloseCron, async () => {
          await autoCloseResolved(database.db, { notices: notifier, autoCloseDays: config.workflow.autoCloseDays }, now(), log);
          sendSoon();
        }, { noOverlap: true }),
      ];
      void outbox.runOnce();
      intake.warm();
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
        });
      }
      if (poller) await poller.start();
      let httpPort: number | null = null;
      if (startOpts.listen !== false) {
        const { host, port } = config.admin.listen;
        httpPort = await new Promise<number>((resolve, reject) => {
          server = serve({ fetch: http.fetch, hostname: host, port }, (info) => resolve(info.port));
          server.once('error', reject);
        });
      }
      return { httpPort, smtpPort: smtp?.port ?? null };
    },
    async stop() {
      for (const job of jobs) await job.destroy();
      if (poller) await poller.stop();
      if (smtp) await smtp.close();
      await intake.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await outbox.stop();
      mailer.close();
      await database.close();
    },
  };
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
