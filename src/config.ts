// Loads and validates the whole configuration once, at start. Every problem is reported at once,
// each naming its key, so an operator fixes a file in one pass. Environment variables override the
// file (a container deployment needs no file at all); with neither, Guichet runs its local demo.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** A listen address, parsed once: `127.0.0.1:8025` → { host, port } (port 0 picks a free one). */
export interface Listen { host: string; port: number }

const listen = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8025');
const toListen = (s: string): Listen => ({ host: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) });

const cron = z.string().min(9, 'expected a cron expression, e.g. "*/30 * * * * *"');

const fileSchema = z
  .object({
    database: z
      .object({
        url: z
          .string()
          .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'expected sqlite:<path> or postgres://…')
          .default('sqlite:./data/guichet.db'),
      })
      .strict()
      .default({ url: 'sqlite:./data/guichet.db' }),
    dataDir: z.string().min(1).default('./data'),
    publicUrl: z.url().default('http://127.0.0.1:8025'),
    admin: z
      .object({
        listen: listen.default('127.0.0.1:8025'),
        apiToken: z.string().min(16, 'use at least 16 characters').nullable().default(null),
      })
      .strict()
      .default({ listen: '127.0.0.1:8025', apiToken: null }),
    support: z
      .object({
        address: z.email(),
        name: z.string().min(1).default('Support'),
        tagPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, - and _ only')
          .default(''),
      })
      .strict(),
    imap: z
      .object({
        url: z.string().regex(/^imaps?:\/\//, 'expected imap://user:pass@host:port/INBOX or imaps://…'),
        tlsRejectUnauthorized: z.boolean().default(true),
        idle: z.boolean().default(true),
        pollCron: cron.default('*/30 * * * * *'),
        markAs: z
          .union([z.literal('seen'), z.object({ move: z.string().min(1) }).strict()])
          .default('seen'),
        /** Bytes of mail fetched (and held in memory) per chunk; a larger message is a chunk alone. */
        chunkBytes: z.number().int().min(64 * 1024).default(32 * 1024 * 1024),
      })
      .strict()
      .nullable()
      .default(null),
    smtpIntake: z
      .object({
        listen,
        /** Concurrent SMTP sessions; more are answered 421. */
        maxClients: z.number().int().min(1).max(10_000).default(20),
        /** When set, AUTH PLAIN/LOGIN with these credentials is required (no TLS: trusted network only). */
        auth: z.object({ user: z.string().min(1), pass: z.string().min(8, 'use at least 8 characters') }).strict().nullable().default(null),
        /** When set, only these client addresses or CIDR ranges may connect (others get 554). */
        allowedClients: z
          .array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], { error: 'expected an IP address or a CIDR range' }))
          .min(1, 'list at least one address, or use null to allow any client')
          .nullable()
          .default(null),
      })
      .strict()
      .nullable()
      .default(null),
    smtp: z
      .object({
        url: z.string().regex(/^smtps?:\/\//, 'expected smtp://user:pass@host:port or smtps://…'),
        tlsRejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .nullable()
      .default(null),
    outbox: z
      .object({
        captureDir: z.string().min(1).nullable().default(null),
        /** Superseded by retryForHours: still accepted so existing configs load, and ignored. */
        maxAttempts: z.number().int().min(1).max(50).default(8),
        /** A notification failing transiently (4xx, timeouts) is retried this long after it was queued. */
        retryForHours: z.number().min(1).max(24 * 30).default(96),
        retryCron: cron.default('*/15 * * * * *'),
        /** First retry delay, doubled each attempt, capped at one hour; also paces the relay probes. */
        backoffSeconds: z.number().int().min(1).default(30),
      })
      .strict()
      .default({ captureDir: null, maxAttempts: 8, retryForHours: 96, retryCron: '*/15 * * * * *', backoffSeconds: 30 }),
    limits: z
      .object({
        maxMessageBytes: z.number().int().min(1024).default(25 * 1024 * 1024),
        maxAttachmentBytes: z.number().int().min(1024).default(15 * 1024 * 1024),
        /** Superseded by automaticMail, which bounds every automatic mail: still accepted so existing files load, and ignored. */
        acknowledgementsPerHour: z.number().int().min(1).default(20),
        /** Time one message may take to prepare (parse, text, classify) on the prepare thread; past it, it fails alone. */
        parseSeconds: z.number().min(0.1).max(3600).default(30),
      })
      .strict()
      .default({ maxMessageBytes: 25 * 1024 * 1024, maxAttachmentBytes: 15 * 1024 * 1024, acknowledgementsPerHour: 20, parseSeconds: 30 }),
    /**
     * Mail Guichet sends on its own (acknowledgements, "which project?", account notices, workflow
     * notices a client's mail or a timer caused), counted per recipient address: past either bound it
     * is withheld, so an autoresponder that looks human cannot keep a loop going.
     */
    automaticMail: z
      .object({
        maxPer10Minutes: z.number().int().min(1).max(1000).default(3),
        maxPerDay: z.number().int().min(1).max(10_000).default(10),
      })
      .strict()
      .refine((a) => a.maxPerDay >= a.maxPer10Minutes, { path: ['maxPerDay'], message: 'must be at least maxPer10Minutes' })
      .default({ maxPer10Minutes: 3, maxPerDay: 10 }),
    defaultLanguage: z.enum(['en', 'fr']).default('en'),
    intake: z
      .object({
        /** Mail from an address of no known organisation: held until staff validate it, or accepted. */
        unknownSenders: z.enum(['hold', 'accept']).default('hold'),
        /** Who in the To/Cc of a first mail becomes a watcher: members of the reporter's organisation, or anyone. */
        watchers: z.enum(['organisation', 'any']).default('organisation'),
        /** At most this many watchers from one mail: a Cc of 300 addresses is no mailing list. */
        maxWatchers: z.number().int().min(0).max(100).default(10),
        /** New tickets one sender may open in 24 hours; past it their mail is held for staff. */
        maxNewTicketsPerDay: z.number().int().min(1).default(20),
      })
      .strict()
      .default({ unknownSenders: 'hold', watchers: 'organisation', maxWatchers: 10, maxNewTicketsPerDay: 20 }),
    authentication: z
      .object({
        /**
         * authserv-ids (and host names) of the mail servers whose Authentication-Results headers are
         * believed: the server that receives the support mailbox's mail, e.g. "mx.google.com".
         */
        trustedAuthservIds: z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'expected a host name such as mx.example.com')).default([]),
        /** Verify DKIM signatures here (DNS lookups), for mail whose server writes no trusted verdict. */
        verifyDkim: z.boolean().default(false),
        /**
         * What a client's mail needs to act on a ticket: `participant` (the From address alone:
         * spoofable), `authenticated` (a reply token or DMARC/DKIM pass; otherwise a flagged comment),
         * `strict` (otherwise quarantined).
         */
        clients: z.enum(['participant', 'authenticated', 'strict']).default('participant'),
        /** Reply-To carries a per-ticket, per-recipient token (support+t12-…@): needs plus addressing. */
        replyTokens: z.boolean().default(true),
        /** The reply tokens' key; when null one is made at first start and kept in the database. */
        secret: z.string().min(32, 'use at least 32 characters').nullable().default(null),
      })
      .strict()
      .default({ trustedAuthservIds: [], verifyDkim: false, clients: 'participant', replyTokens: true, secret: null }),
    workflow: z
      .object({
        autoCloseDays: z.number().int().min(1).max(365).default(14),
        autoCloseCron: cron.default('0 */15 * * * *'),
        replyToClosed: z.enum(['new_ticket', 'reopen']).default('new_ticket'),
      })
      .strict()
      .default({ autoCloseDays: 14, autoCloseCron: '0 */15 * * * *', replyToClosed: 'new_ticket' }),
    /**
     * How long a stop (SIGTERM, SIGINT) may take: the chunk of mail in hand is finished, sends in
     * flight end, then the process exits; past it, it exits anyway and logs what was still running.
     */
    shutdownSeconds: z.number().min(1).max(600).default(10),
    metrics: z
      .object({
        /** /metrics without a token: for a scraper on a private network that cannot send one. */
        public: z.boolean().default(false),
      })
      .strict()
      .default({ public: false }),
  })
  .strict();

/** The configuration file's top-level keys, each documented in config.example.json. */
export const CONFIG_KEYS = Object.keys(fileSchema.shape);

export const configSchema = fileSchema
  .superRefine((c, ctx) => {
    if (!c.smtp && !c.outbox.captureDir) {
      ctx.addIssue({
        code: 'custom',
        path: ['smtp'],
        message: 'set smtp.url (or outbox.captureDir to write outbound mail to files instead)',
      });
    }
    if (c.smtp && c.outbox.captureDir) {
      ctx.addIssue({
        code: 'custom',
        path: ['outbox', 'captureDir'],
        message: 'set smtp.url or outbox.captureDir, not both: mail is either sent or written to files',
      });
    }
  });

type FileConfig = z.infer<typeof configSchema>;

/** Where outbound mail goes: a relay, or (demo, staging) a folder of .eml files. */
export type Sending =
  | { kind: 'smtp'; url: string; tlsRejectUnauthorized: boolean }
  | { kind: 'capture'; dir: string };

/** What the IMAP poller does to a message once it is stored. */
export type MarkAs = { kind: 'seen' } | { kind: 'move'; folder: string };

/**
 * The configuration the process runs on: the file's shape with each exclusive choice made explicit
 * (a union to switch on, never two nullable keys) and listen addresses parsed once.
 */
export type Config = Omit<FileConfig, 'smtp' | 'admin' | 'smtpIntake' | 'imap' | 'outbox'> & {
  admin: { listen: Listen; apiToken: string | null };
  smtpIntake: (Omit<NonNullable<FileConfig['smtpIntake']>, 'listen'> & { listen: Listen }) | null;
  imap: (Omit<NonNullable<FileConfig['imap']>, 'markAs'> & { markAs: MarkAs }) | null;
  sending: Sending;
  outbox: Omit<FileConfig['outbox'], 'captureDir'>;
  demo: boolean;
  configPath: string | null;
};

function sendingOf(smtp: FileConfig['smtp'], captureDir: string | null): Sending {
  if (captureDir) return { kind: 'capture', dir: captureDir };
  if (smtp) return { kind: 'smtp', url: smtp.url, tlsRejectUnauthorized: smtp.tlsRejectUnauthorized };
  throw new Error('unreachable: the schema requires smtp.url or outbox.captureDir');
}

function toConfig(c: FileConfig, meta: { demo: boolean; configPath: string | null }): Config {
  const { smtp, outbox: { captureDir, ...outbox }, imap, admin, smtpIntake, ...rest } = c;
  return {
    ...rest,
    admin: { listen: toListen(admin.listen), apiToken: admin.apiToken },
    smtpIntake: smtpIntake && { ...smtpIntake, listen: toListen(smtpIntake.listen) },
    imap: imap && { ...imap, markAs: imap.markAs === 'seen' ? { kind: 'seen' } : { kind: 'move', folder: imap.markAs.move } },
    sending: sendingOf(smtp, captureDir),
    outbox,
    ...meta,
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ENV_KEYS = [
  'GUICHET_CONFIG',
  'GUICHET_DATABASE_URL',
  'GUICHET_DATA_DIR',
  'GUICHET_IMAP_URL',
  'GUICHET_SMTP_URL',
  'GUICHET_SUPPORT_ADDRESS',
  'GUICHET_ADMIN_LISTEN',
  'GUICHET_API_TOKEN',
  'GUICHET_PUBLIC_URL',
  'GUICHET_UNKNOWN_SENDERS',
  'GUICHET_CLIENT_AUTH',
  'GUICHET_TRUSTED_AUTHSERV_IDS',
] as const;

type Env = Record<string, string | undefined>;

/** The demo runs when nothing at all was configured: no file and no GUICHET_* variable. */
export function demoConfigInput(): Record<string, unknown> {
  return {
    support: { address: 'support@guichet.localhost', name: 'Guichet demo' },
    smtpIntake: { listen: '127.0.0.1:2525' },
    outbox: { captureDir: './data/sent' },
    // The demo has no staff to validate accounts yet: anyone may open a ticket.
    intake: { unknownSenders: 'accept' },
  };
}

function applyEnv(input: Record<string, any>, env: Env): void {
  const set = (keys: string[], value: string | string[] | undefined) => {
    if (value === undefined || value === '') return;
    let node = input;
    for (const k of keys.slice(0, -1)) node = node[k] = node[k] ?? {};
    node[keys.at(-1)!] = value;
  };
  set(['database', 'url'], env.GUICHET_DATABASE_URL);
  set(['dataDir'], env.GUICHET_DATA_DIR);
  set(['imap', 'url'], env.GUICHET_IMAP_URL);
  set(['smtp', 'url'], env.GUICHET_SMTP_URL);
  set(['support', 'address'], env.GUICHET_SUPPORT_ADDRESS);
  set(['admin', 'listen'], env.GUICHET_ADMIN_LISTEN);
  set(['admin', 'apiToken'], env.GUICHET_API_TOKEN);
  set(['publicUrl'], env.GUICHET_PUBLIC_URL);
  set(['intake', 'unknownSenders'], env.GUICHET_UNKNOWN_SENDERS);
  set(['authentication', 'clients'], env.GUICHET_CLIENT_AUTH);
  set(['authentication', 'trustedAuthservIds'], env.GUICHET_TRUSTED_AUTHSERV_IDS?.split(',').map((s) => s.trim()).filter(Boolean));
}

/** Validates a raw object (file content with env applied); throws ConfigError listing every problem. */
export function parseConfig(input: unknown, meta: { demo?: boolean; configPath?: string | null } = {}): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return toConfig(result.data, { demo: meta.demo ?? false, configPath: meta.configPath ?? null });
}

/**
 * Reads `--config`/GUICHET_CONFIG or ./config.json when present, applies GUICHET_* overrides, and
 * falls back to the demo when neither exists. Relative paths are resolved against `cwd`.
 */
export function loadConfig(opts: { path?: string; env?: Env; cwd?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path ?? env.GUICHET_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.resolve(cwd, 'config.json');
  if (explicit && !existsSync(file)) throw new ConfigError([`config file not found: ${file}`]);

  let input: Record<string, any> = {};
  const hasFile = existsSync(file);
  if (hasFile) {
    try {
      input = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError([`${file}: not valid JSON (${(err as Error).message})`]);
    }
  }
  const hasEnv = ENV_KEYS.some((k) => env[k]);
  const demo = !hasFile && !hasEnv;
  if (demo) input = demoConfigInput();
  applyEnv(input, env);
  const config = parseConfig(input, { demo, configPath: hasFile ? file : null });
  return resolvePaths(config, hasFile ? path.dirname(file) : cwd);
}

function resolvePaths(config: Config, base: string): Config {
  const dbUrl = config.database.url.startsWith('sqlite:') && config.database.url !== 'sqlite::memory:'
    ? `sqlite:${path.resolve(base, config.database.url.slice('sqlite:'.length))}`
    : config.database.url;
  return {
    ...config,
    database: { url: dbUrl },
    dataDir: path.resolve(base, config.dataDir),
    sending: config.sending.kind === 'capture' ? { kind: 'capture', dir: path.resolve(base, config.sending.dir) } : config.sending,
  };
}

/** The domain under which Guichet mints Message-IDs. */
export function supportDomain(config: Pick<Config, 'support'>): string {
  return config.support.address.split('@')[1]!.toLowerCase();
}
