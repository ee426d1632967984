// Wires one Guichet process from a validated Config: database, renderer, intake pipeline, outbox,
// the mail sources (IMAP poller, SMTP intake) and the HTTP app. Everything is built here and passed
// down, so a test builds the same process with its own peers and no globals.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import cron from 'node-cron';
import { supportDomain, type Config } from './config.ts';
import { openDatabase, type Db } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createHttpApp } from './http/app.ts';
import { autoCloseResolved } from './jobs/auto-close.ts';
import { createImapPoller, type ImapPoller } from './mail/imap-poller.ts';
import { createIntake, type Intake } from './mail/intake.ts';
import { advanceCursor, lastHandledUid } from './mail/mailbox-cursor.ts';
import { startSmtpIntake, type SmtpIntake } from './mail/smtp-intake.ts';
import { createCaptureMailer, createSmtpMailer, type Mailer } from './notify/mailer.ts';
import { createNotifier, type Notifier } from './notify/notifier.ts';
import { createOutboxWorker, type OutboxWorker } from './notify/outbox-worker.ts';
import { createRenderer } from './notify/render.ts';
import type { ChangeDeps } from './tickets/change-ticket.ts';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

export type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;

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
  /** `prepareThread: false` for one-shot commands, where starting a thread costs more than it saves. */
  opts: { log?: Log; now?: () => Date; prepareThread?: boolean } = {},
): Promise<Guichet> {
  const log = opts.log ?? (() => {});
  await mkdir(config.dataDir, { recursive: true });
  const database = openDatabase(config.database.url);
  await migrateToLatest(database.db);
  const renderer = await createRenderer({ templatesDir: TEMPLATES_DIR, productName: config.support.name });
  const domain = supportDomain(config);

  const mailer: Mailer = config.outbox.captureDir
    ? createCaptureMailer({ dir: config.outbox.captureDir, from: `${config.support.name} <${config.support.address}>` })
    : createSmtpMailer({ url: config.smtp!.url, from: `${config.support.name} <${config.support.address}>`, tlsRejectUnauthorized: config.smtp!.tlsRejectUnauthorized });
  const outbox = createOutboxWorker({
    db: database.db,
    mailer,
    maxAttempts: config.outbox.maxAttempts,
    backoffSeconds: config.outbox.backoffSeconds,
    now: opts.now,
    log,
  });
  const notifier = createNotifier({
    renderer,
    domain,
    supportAddress: config.support.address,
    tagPrefix: config.support.tagPrefix,
    defaultLanguage: config.defaultLanguage,
    maxAcknowledgementsPerHour: config.limits.acknowledgementsPerHour,
  });
  const changeDeps: ChangeDeps = {
    notifier,
    supportAddress: config.support.address,
    tagPrefix: config.support.tagPrefix,
    autoCloseDays: config.workflow.autoCloseDays,
  };
  const intake = createIntake({
    db: database.db,
    dataDir: config.dataDir,
    notifier,
    change: changeDeps,
    settings: {
      supportAddresses: [config.support.address.toLowerCase()],
      tagPrefix: config.support.tagPrefix,
      defaultLanguage: config.defaultLanguage,
      unknownSenders: config.intake.unknownSenders,
      replyToClosed: config.workflow.replyToClosed,
    },
    limits: config.limits,
    thread: opts.prepareThread,
    onMailQueued: () => outbox.kick(),
    now: opts.now,
    log,
  });

  /** IMAP mail: the intake, then the mailbox cursor for a duplicate (its bytes left no row). */
  async function handleFetched(items: Array<{ raw: Buffer; source: { mailbox: string; uidValidity: number; uid: number } }>) {
    const results = await intake.handleBatch(items);
    const last = items.filter((_, i) => results[i]!.duplicate).at(-1);
    if (last) await advanceCursor(database.db, last.source.mailbox, last.source.uidValidity, last.source.uid);
  }

  const poller = config.imap
    ? createImapPoller({
        url: config.imap.url,
        tlsRejectUnauthorized: config.imap.tlsRejectUnauthorized,
        idle: config.imap.idle,
        pollCron: config.imap.pollCron,
        markAs: config.imap.markAs === 'seen' ? { kind: 'seen' } : { kind: 'move', folder: config.imap.markAs.move },
        lastUid: (mailbox, uidValidity) => lastHandledUid(database.db, mailbox, uidValidity),
        handle: (raw, source) => handleFetched([{ raw, source }]),
        handleBatch: handleFetched,
        ahead: (raws) => intake.prepareAhead(raws),
        log,
      })
    : null;

  const http = createHttpApp({
    db: database.db,
    apiToken: config.admin.apiToken,
    health: { mailbox: () => (poller ? poller.state() : null) },
    actions: { db: database.db, change: changeDeps, defaultLanguage: config.defaultLanguage, onMailQueued: () => outbox.kick() },
  });

  let server: ServerType | null = null;
  let smtp: SmtpIntake | null = null;
  let jobs: Array<ReturnType<typeof cron.schedule>> = [];
  const now = opts.now ?? (() => new Date());

  return {
    config, database, intake, notifier, outbox, mailer, http, poller,
    async start(startOpts = {}) {
      jobs = [
        cron.schedule(config.outbox.retryCron, () => void outbox.runOnce(), { noOverlap: true }),
        cron.schedule(config.workflow.autoCloseCron, async () => {
          if ((await autoCloseResolved(database.db, changeDeps, now(), log)).length) outbox.kick();
        }, { noOverlap: true }),
      ];
      void outbox.runOnce();
      intake.warm();
      if (config.smtpIntake) {
        smtp = await startSmtpIntake({ listen: config.smtpIntake.listen, maxBytes: config.limits.maxMessageBytes, handle: intake.handle });
      }
      if (poller) await poller.start();
      let httpPort: number | null = null;
      if (startOpts.listen !== false) {
        const [host, port] = [config.admin.listen.slice(0, config.admin.listen.lastIndexOf(':')), Number(config.admin.listen.split(':').pop())];
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
