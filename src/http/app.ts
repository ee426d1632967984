// The HTTP app factory: everything it serves is built from the dependencies passed in, so tests call
// `app.request()` without opening a port.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Log } from '../log.ts';
import type { StaffVerbDeps } from '../tickets/staff-verbs.ts';
import { createAdmin } from './admin/index.ts';
import type { Lang } from './admin/i18n.ts';
import type { AdminPorts } from './admin/ports.ts';
import type { MailboxSummary } from './admin/pages/setup-mailboxes.ts';
import { createApi } from './api/index.ts';
import { callerOf } from './auth.ts';

export interface HealthSource {
  /**
   * The mailbox side: null when Guichet reads no IMAP mailbox (pipe or SMTP intake only). `leading`:
   * whether this process reads it (false: another process does, on PostgreSQL; null: not started).
   */
  mailbox(): { connected: boolean; idle: boolean; lastError: string | null; lastPollAt: Date | null; leading?: boolean | null } | null;
  /** The sending side: since when the relay has failed (null while it works), why, and for how long. */
  outbox?(): { stalledSince: Date | null; lastError: string | null; stalledForMs: number };
}

/** /metrics as the composition root builds it (prom-client); http/ only serves it. */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
  /** Served without a token (config metrics.public): for a scraper on a private network. */
  public: boolean;
}

/** An outbox stalled longer than this makes /healthz answer 503 (a short relay hiccup does not). */
export const OUTBOX_STALL_UNHEALTHY_MS = 5 * 60_000;

/** The largest request body /api/v1 and /admin read: a reply is text, attachments do not come this way. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpDeps {
  db: Kysely<Database>;
  apiToken: string | null;
  /** How the integration token signs what it writes (config support.name). */
  supportName?: string;
  health: HealthSource;
  metrics?: MetricsSource;
  verbs: StaffVerbDeps;
  /** Called after every request that may have changed something: what it queued can be sent. */
  onCommitted?: () => void;
  log: Log;
  /** The staff admin's settings: where it is reached (config publicUrl) and its default language. */
  admin: { publicUrl: string; defaultLanguage: Lang; dataDir: string; now?: () => Date; ports?: AdminPorts; mailboxes?: MailboxSummary; demo?: { supportAddress: string } | null };
}

export function createHttpApp(deps: HttpDeps) {
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 400) deps.onCommitted?.();
  });

  // Anyone may ask whether Guichet is up; what is down, and why, is for the holders of a token.
  // /healthz/ready is the same answer under the name orchestrators expect.
  const readiness = async (c: Context) => {
    let database: { ok: boolean; error?: string };
    try {
      await sql`select 1`.execute(deps.db);
      database = { ok: true };
    } catch (err) {
      database = { ok: false, error: (err as Error).message };
    }
    const mailbox = deps.health.mailbox();
    const sending = deps.health.outbox?.() ?? { stalledSince: null, lastError: null, stalledForMs: 0 };
    const stalled = sending.stalledSince !== null && sending.stalledForMs > OUTBOX_STALL_UNHEALTHY_MS;
    // A process that waits while another reads the mailbox (PostgreSQL, several processes) is ready.
    const ok = database.ok && (mailbox === null || mailbox.connected || mailbox.leading === false) && !stalled;
    const status = ok ? 200 : 503;
    // The integration token is checked without the database, so it still reads why the database is down.
    const caller = await callerOf(deps, c.req.header('authorization')).catch(() => null);
    if (!caller) return c.json({ ok }, status);
    const pending = await deps.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirst()
      .catch(() => undefined);
    const outbox = { pending: pending ? Number(pending.n) : null, stalledSince: sending.stalledSince, lastError: sending.lastError };
    return c.json({ ok, database, mailbox, outbox }, status);
  };
  app.get('/healthz', readiness);
  app.get('/healthz/ready', readiness);
  // Liveness is the process answering at all: a mailbox or a relay being down is no reason to restart it.
  app.get('/healthz/live', (c) => c.json({ ok: true }));

  app.get('/metrics', async (c) => {
    if (!deps.metrics) return c.json({ error: 'not found' }, 404);
    if (!deps.metrics.public && !(await callerOf(deps, c.req.header('authorization')).catch(() => null))) {
      c.header('WWW-Authenticate', 'Bearer realm="guichet"');
      return c.json({ error: 'a token is needed (or set metrics.public)' }, 401);
    }
    return c.body(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType });
  });

  app.use('/api/v1/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `the body is over ${MAX_BODY_BYTES} bytes` }, 413) }));
  app.use('/admin/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text('Request body too large.', 413) }));
  app.route('/api/v1', createApi({ ...deps, ports: deps.admin.ports }));
  app.route('/admin', createAdmin({ db: deps.db, verbs: deps.verbs, ...deps.admin, health: deps.health }));
  app.get('/', (c) => c.redirect('/admin/tickets', 303));

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      // Headers set before the refusal (WWW-Authenticate) stay on it.
      return c.json({ error: err.message }, err.status);
    }
    deps.log('error', `HTTP ${c.req.method} ${c.req.path}: ${(err as Error).stack ?? err}`);
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
