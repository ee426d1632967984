// What only one Guichet process may do at a time when several share a PostgreSQL database: read one
// mailbox (a leadership, held for as long as the process lives) and run a scheduled job (once per
// tick). PostgreSQL's advisory locks do both: a session-level lock is held by a session of its own
// and is freed the moment that session ends, which a killed process's does at once (the kernel
// closes its sockets). On SQLite nothing is shared: one Guichet process serves one file, so it
// always leads and every job runs.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { hasRowLocks, PROCESS_HOLDER } from './connect.ts';
import { silentLog, type Log } from '../log.ts';

/** The advisory lock key of a name: the first 8 bytes of its SHA-256, as PostgreSQL's signed bigint. */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(`guichet:${name}`).digest().readBigInt64BE(0).toString();
}

export interface Leadership {
  /** Whether this process holds the lock now. */
  leading(): boolean;
  /** Lets go (ending the lock's session) and tries no more; resolves after onLose, if it led. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  /** The database URL: postgres://… takes the lock; anything else (sqlite:) leads at once. */
  url: string;
  /** What is led, e.g. the mailbox; hashed into the lock key. */
  name: string;
  /** Called once the lock is held; awaited before the lock is looked at again. */
  onLead(): Promise<void>;
  /** Called when the lock's session is lost (another process may lead from then on), and at stop. */
  onLose(): Promise<void>;
  /** How often a follower asks for the lock, and a leader checks its session; default 2 s. */
  retryMs?: number;
  /** How long a leader's check may take before its session counts as gone; default 5 s. */
  checkTimeoutMs?: number;
  log?: Log;
}

/**
 * Holds the lock named `name` on a session of its own for as long as it can, asking again every
 * `retryMs` while another process holds it. A lost session (PostgreSQL restarted, the network cut)
 * means the lock is lost: onLose runs before the lock is asked for again.
 *
 * A connection can also die without either end being told (a firewall or NAT forgetting it, a
 * cable pulled): the leader would go on polling while the server kept the lock for a session nobody
 * uses, and no other process could take over. So a leader checks its session every `retryMs`; a
 * check that fails or takes longer than `checkTimeoutMs` counts as a lost session. Once connected
 * again, the process ends its former session on the server, which frees the lock at once; and the
 * session asks the server to probe an idle connection after 10 s, so a leader that never comes back
 * loses the lock within about half a minute.
 */
export async function startLeadership(opts: LeadershipOptions): Promise<Leadership> {
  const log = opts.log ?? silentLog;
  if (!/^postgres(ql)?:\/\//.test(opts.url)) {
    await opts.onLead();
    let stopped = false;
    return {
      leading: () => !stopped,
      async stop() {
        if (stopped) return;
        stopped = true;
        await opts.onLose();
      },
    };
  }
  const key = advisoryKey(opts.name);
  const retryMs = opts.retryMs ?? 2000;
  const checkTimeoutMs = opts.checkTimeoutMs ?? 5000;
  let client: pg.Client | null = null;
  /** The server process of a session given up as dead, to be ended once a new session is up. */
  let stale: { pid: number; started: string } | null = null;
  const started = new WeakMap<pg.Client, string>();
  let leading = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Lead and lose run one after the other, never interleaved.
  let chain: Promise<void> = Promise.resolve();
  const serially = (step: () => Promise<void>) => (chain = chain.then(step).catch((err: unknown) => {
    log('error', `${opts.name}: ${(err as Error).message}`);
  }));

  const lose = (why: string) => serially(async () => {
    if (!leading) return;
    leading = false;
    log('warn', `no longer leading ${opts.name} (${why}); another process may take over`);
    await opts.onLose();
  });

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!client) {
        const c = new pg.Client({
          connectionString: opts.url, application_name: PROCESS_HOLDER, connectionTimeoutMillis: 10_000,
          keepAlive: true, keepAliveInitialDelayMillis: 10_000,
          options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
        });
        c.on('error', () => {});
        c.on('end', () => {
          if (client !== c) return;
          client = null;
          void lose('its database session ended');
        });
        client = c; // from here a failure gives this session up, connected or not
        await c.connect();
        const { rows } = await c.query<{ started: string }>('select backend_start::text as started from pg_stat_activity where pid = pg_backend_pid()');
        started.set(c, rows[0]?.started ?? '');
      }
      if (stale) {
        // Named by its process id and start time: a process id alone may since belong to another session.
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where pid = $1 and backend_start::text = $2', [stale.pid, stale.started]);
        stale = null;
      }
      if (leading) {
        await check(client);
      } else {
        const { rows } = await client.query<{ got: boolean }>('select pg_try_advisory_lock($1::bigint) as got', [key]);
        if (rows[0]?.got && !stopped) {
          leading = true;
          log('info', `leading ${opts.name}`);
          await serially(() => opts.onLead());
        }
      }
    } catch (err) {
      giveUp(client);
      if (leading) await lose((err as Error).message);
    }
    if (!stopped) timer = setTimeout(() => void (attempting = attempt()), retryMs);
  };

  /** A session that answers `select 1` in time; anything else throws. */
  const check = async (c: pg.Client): Promise<void> => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.query('select 1'),
        new Promise((_, reject) => { timeout = setTimeout(() => reject(new Error(`its database session did not answer within ${checkTimeoutMs} ms`)), checkTimeoutMs); }),
      ]);
    } finally {
      clearTimeout(timeout);
    }
  };

  /** Drops a session that failed: its socket is destroyed, its server process ended at the next connection. */
  const giveUp = (c: pg.Client | null) => {
    if (!c || client !== c) return;
    client = null;
    const pid = (c as unknown as { processID?: number | null }).processID;
    if (pid && started.get(c)) stale = { pid, started: started.get(c)! };
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    c.end().catch(() => {});
  };

  let attempting = attempt();
  await attempting;
  return {
    leading: () => leading,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // An attempt under way may still connect or take the lock; its session is ended below.
      await attempting;
      await lose('stopping');
      await chain;
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

/**
 * Runs `job` unless another process is running it now (PostgreSQL: a transaction-level advisory lock
 * held while it runs; the job itself works through the pool). Resolves with null when skipped.
 */
export async function runAlone<T>(db: Kysely<any>, name: string, job: () => Promise<T>): Promise<T | null> {
  if (!hasRowLocks(db)) return job();
  const key = advisoryKey(name);
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${key}::bigint) as got`.execute(trx);
    return rows[0]?.got ? job() : null;
  });
}
