// guichet start | migrate | ingest | check-config — the operator's commands. Each returns an exit
// code; errors are one clear line, never a stack trace for a mistake in the configuration.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import type { Log } from './log.ts';

const USAGE = `usage: guichet <command> [--config path]

commands:
  start           run Guichet: mail intake, outbox, HTTP (demo when nothing is configured)
  migrate         apply the database migrations and exit
  ingest          process one raw message read from standard input (for an MTA pipe)
  check-config    validate the configuration and print it with secrets hidden
  contacts        list [--pending] | validate <email> | refuse <email> | block <email> | language <email> en|fr
  projects        add <KEY> <name> [--address a] [--product p] [--staff email] | list
  organisations   add <name> [--domain d] [--project KEY] [--validate] | list
  staff           add <email> <name> [--admin] | list
  outbox          list [--failed] | retry <id>... | retry --all-failed  [--clear-bounce]
  inbound         list [--held | --quarantined] | release <id>
  backup          <dir>: a consistent copy of the database (SQLite) and the data folder, while Guichet runs
  restore         <dir> [--force]: put a backup in place (Guichet stopped), then migrate
`;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function redact(config: Config): unknown {
  const hide = (url: string) => url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
  return {
    ...config,
    database: { url: hide(config.database.url) },
    imap: config.imap && { ...config.imap, url: hide(config.imap.url) },
    sending: config.sending.kind === 'smtp' ? { ...config.sending, url: hide(config.sending.url) } : config.sending,
    admin: { ...config.admin, apiToken: config.admin.apiToken ? '***' : null },
    authentication: { ...config.authentication, secret: config.authentication.secret ? '***' : null },
    smtpIntake: config.smtpIntake && { ...config.smtpIntake, auth: config.smtpIntake.auth && { user: config.smtpIntake.auth.user, pass: '***' } },
  };
}

function demoBanner(config: Config, httpPort: number | null, smtpPort: number | null, admin: { email: string; password: string } | null): string {
  const sentDir = config.sending.kind === 'capture' ? config.sending.dir : '(sent by SMTP)';
  const login = admin
    ? `  staff login:   ${admin.email} / ${admin.password}   (shown this once: note it)\n`
    : '  staff login:   the demo admin made at the first start (guichet staff add … makes another)\n';
  return `
Guichet demo is running (no config.json and no GUICHET_* variables found).
  data:          ${config.dataDir}
  support:       ${config.support.address}
  SMTP intake:   127.0.0.1:${smtpPort}
  admin:         http://127.0.0.1:${httpPort}/admin   (write as a client: /admin/write)
${login}  sent mail:     ${sentDir}

Send a first email (Python ships with an SMTP client):
  python3 -c "import smtplib; smtplib.SMTP('127.0.0.1', ${smtpPort}).sendmail('ada@example.com', ['${config.support.address}'], 'From: Ada <ada@example.com>\\r\\nTo: ${config.support.address}\\r\\nSubject: The invoice page is blank\\r\\n\\r\\nHello, since this morning the invoice page shows nothing.')"
or with curl:
  printf 'From: ada@example.com\\r\\nTo: ${config.support.address}\\r\\nSubject: Hello\\r\\n\\r\\nFirst request\\r\\n' | curl -s smtp://127.0.0.1:${smtpPort} --mail-from ada@example.com --mail-rcpt ${config.support.address} -T -

Then look at ${sentDir} for the acknowledgement, and reply to it (keep "[#1]" in the subject).
`;
}

/**
 * The demo's staff account, made at its first start so that `npm start` leads straight to the
 * admin; its password is printed that once and stored only as an argon2 hash.
 */
async function demoAdmin(guichet: { database: { db: import('kysely').Kysely<import('./db/schema.ts').Database> } }, config: Config) {
  const { db } = guichet.database;
  if (await db.selectFrom('staff').select('id').executeTakeFirst()) return null;
  const { addStaff } = await import('./accounts/directory.ts');
  const email = `admin@${config.support.address.split('@')[1]}`;
  const password = await addStaff(db, { email, name: 'Demo admin', admin: true }, new Date());
  return { email, password };
}

// The process is wired lazily: mail, MJML and database libraries take seconds to load, which
// `check-config` and `--help` should not pay.
const loadApp = () => import('./app.ts');

function configFlag(argv: string[]): string[] {
  const i = argv.findIndex((a) => a === '--config' || a === '-c');
  return i >= 0 && argv[i + 1] ? [argv[i]!, argv[i + 1]!] : argv.filter((a) => a.startsWith('--config='));
}

function withoutConfigFlag(argv: string[]): string[] {
  const i = argv.findIndex((a) => a === '--config' || a === '-c');
  const rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  return rest.filter((a) => !a.startsWith('--config='));
}

/** The shell's convention for a process ended by a signal: 128 + its number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs until SIGTERM or SIGINT, then stops within `shutdownSeconds`: the mail in hand is finished
 * and the sends in flight end, so nothing is left half done. Past the bound the process exits
 * anyway (1), naming what was still running; a second signal exits at once (130/143), since an
 * operator who asks twice wants it gone. Either way no stored mail is lost: the next start finishes it.
 */
async function stopOnSignal(signalled: Promise<string>, guichet: { stop(): Promise<void>; stillRunning(): string[] }, shutdownSeconds: number, log: Log): Promise<number> {
  const signal = await signalled;
  const again = (second: string) => {
    log('warn', `${second} again: exiting now, without waiting for ${guichet.stillRunning().join(', ') || 'anything'}`);
    process.exit(SIGNAL_EXIT[second] ?? 1);
  };
  process.once('SIGINT', () => again('SIGINT'));
  process.once('SIGTERM', () => again('SIGTERM'));
  log('info', `${signal}: stopping (at most ${shutdownSeconds} s)`);
  const started = Date.now();
  const bound = setTimeout(() => {
    log('error', `stop took over ${shutdownSeconds} s (shutdownSeconds); exiting with still running: ${guichet.stillRunning().join(', ') || 'nothing named'}`);
    process.exit(1);
  }, shutdownSeconds * 1000);
  try {
    await guichet.stop();
  } finally {
    clearTimeout(bound);
  }
  log('info', `stopped in ${Date.now() - started} ms`);
  // Everything Guichet opened is closed; should a library keep a handle open, the bound still holds.
  setTimeout(() => process.exit(0), Math.max(0, shutdownSeconds * 1000 - (Date.now() - started))).unref();
  return 0;
}

function nextSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

export async function main(argv: string[], given?: Log): Promise<number> {
  // Directory commands take their own flags; only --config is read here.
  const directory = ['projects', 'organisations', 'staff', 'outbox', 'inbound', 'backup', 'restore'].includes(argv[0] ?? '');
  const { values, positionals } = parseArgs({
    args: directory ? argv.slice(0, 1).concat(configFlag(argv)) : argv,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      pending: { type: 'boolean' },
      message: { type: 'string' },
    },
    allowPositionals: true,
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  let config: Config;
  try {
    config = loadConfig({ path: values.config });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`guichet: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }

  switch (command) {
    case 'check-config':
      process.stdout.write(`${JSON.stringify(redact(config), null, 2)}\nconfiguration is valid${config.demo ? ' (demo: nothing configured)' : ''}\n`);
      return 0;
    case 'migrate': {
      const { openDatabase } = await import('./db/connect.ts');
      const { migrateToLatest } = await import('./db/migrate.ts');
      const database = openDatabase(config.database.url);
      try {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
        return 0;
      } finally {
        await database.close();
      }
    }
    case 'ingest': {
      const raw = await readStdin();
      if (!raw.length) {
        process.stderr.write('guichet ingest: no message on standard input\n');
        return 66; // EX_NOINPUT
      }
      const { createGuichet } = await loadApp();
      const guichet = await createGuichet(config, { log: () => {}, prepareThread: false });
      try {
        const result = await guichet.intake.handle(raw, { mailbox: 'pipe', uidValidity: null, uid: null });
        await guichet.outbox.runOnce();
        process.stdout.write(`${result.state}: ${result.outcome}${result.ticketNumber ? ` #${result.ticketNumber}` : ''}${result.duplicate ? ' (already received)' : ''}\n`);
        return 0;
      } catch (err) {
        // The MTA keeps the message and retries on EX_TEMPFAIL: nothing is lost.
        process.stderr.write(`guichet ingest: ${(err as Error).message}\n`);
        return 75;
      } finally {
        await guichet.stop();
      }
    }
    case 'start': {
      const { createLogger, logFormat } = await import('./logger.ts');
      const log = given ?? createLogger({ format: logFormat() });
      const { createGuichet } = await loadApp();
      const guichet = await createGuichet(config, { log });
      // Listened for before start(), whose first IMAP round takes in the whole backlog: a stop
      // must be able to cut that short too.
      const signalled = nextSignal();
      let stopping = false;
      void signalled.then(() => (stopping = true));
      const started = guichet.start().then(async ({ httpPort, smtpPort }) => {
        if (stopping) return;
        if (config.demo) process.stdout.write(demoBanner(config, httpPort, smtpPort, await demoAdmin(guichet, config)));
        else log('info', `Guichet started: HTTP on ${config.admin.listen.host}:${httpPort}${config.imap ? ', reading IMAP' : ''}${smtpPort ? `, SMTP intake on ${smtpPort}` : ''}`);
      });
      // A start that fails before any signal fails the command; one cut short by the stop does not.
      await Promise.race([started, signalled]);
      started.catch((err: Error) => log('error', `start interrupted: ${err.message}`));
      return stopOnSignal(signalled, guichet, config.shutdownSeconds, log);
    }
    case 'projects':
    case 'organisations':
    case 'staff': {
      const { directoryCommand } = await import('./commands/directory.ts');
      return directoryCommand(config, command, withoutConfigFlag(argv.slice(1)), (s) => process.stdout.write(s));
    }
    case 'outbox': {
      const { outboxCommand } = await import('./commands/outbox.ts');
      return outboxCommand(config, withoutConfigFlag(argv.slice(1)), (s) => process.stdout.write(s));
    }
    case 'inbound': {
      const { inboundCommand } = await import('./commands/inbound.ts');
      return inboundCommand(config, withoutConfigFlag(argv.slice(1)), (s) => process.stdout.write(s));
    }
    case 'backup':
    case 'restore': {
      const { backupCommand, restoreCommand } = await import('./commands/backup.ts');
      const run = command === 'backup' ? backupCommand : restoreCommand;
      return run(config, withoutConfigFlag(argv.slice(1)), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    }
    case 'contacts': {
      const { contactsCommand } = await import('./commands/contacts.ts');
      return contactsCommand(config, positionals.slice(1).concat(values.pending ? ['--pending'] : []).concat(values.message ? ['--message', values.message] : []), (s) => process.stdout.write(s));
    }
    default:
      process.stderr.write(`guichet: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
