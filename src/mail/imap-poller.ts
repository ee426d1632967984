// The IMAP intake edge: brings every message of one mailbox to `handle()` in UID order and marks it
// only after `handle()` resolved, so a crash or an outage can repeat a message but never lose one.
// Progress is the caller's: `lastUid(mailbox, uidValidity)` says what is done, keyed by UIDVALIDITY,
// so a recreated mailbox simply starts again from UID 0 (the caller dedupes on the raw bytes).
// \Seen is a courtesy to humans looking at the mailbox, never the source of truth.
//
// One connection, one round at a time: IDLE (when offered) wakes a round on EXISTS, node-cron runs one
// on `pollCron`. A lost connection is reopened forever, with exponential backoff and jitter, until stop().

import { ImapFlow } from 'imapflow';
import cron, { type ScheduledTask } from 'node-cron';

export interface ImapPollerOptions {
  /** imap://user:pass@host:port/INBOX or imaps://… (user, pass and mailbox URL-decoded). */
  url: string;
  /** Default true. */
  tlsRejectUnauthorized?: boolean;
  /** node-cron expression, default every 30 s. Without IDLE (or with `idle: false`) these rounds find
   * new mail; with IDLE they are the safety net for changes IDLE never reports (see round()). */
  pollCron?: string;
  /** Default true: use IDLE when the server offers it. */
  idle?: boolean;
  /** What happens to a handled message; default `{ kind: 'seen' }`. A missing folder is created. */
  markAs?: { kind: 'seen' } | { kind: 'move'; folder: string };
  /** UIDs at or below this are done for this (mailbox, uidValidity); asked before each batch. */
  lastUid(mailbox: string, uidValidity: number): Promise<number>;
  /** Handles one message idempotently; resolves once it is stored durably. Throwing means "try again
   * later": the batch stops there and the message comes back on a later round. */
  handle(raw: Buffer, source: { mailbox: string; uidValidity: number; uid: number }): Promise<void>;
  /** When given, a fetched chunk goes here whole instead of message by message (one transaction
   * for many messages); all of it counts as handled, and throwing retries all of it later. */
  handleBatch?(items: Array<{ raw: Buffer; source: { mailbox: string; uidValidity: number; uid: number } }>): Promise<void>;
  /** Told of the next chunk as soon as it is fetched, while the current one is still being handled,
   * so work that needs no database (storing bytes, parsing) can start; handleBatch gets it later. */
  ahead?(raws: Buffer[]): void;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;
  /** Backoff for reconnects and for retrying a failed handle(); default 1 s → 60 s, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Messages fetched (and held in memory) per chunk; default 200. */
  chunkSize?: number;
}

export interface ImapPollerState {
  connected: boolean;
  idle: boolean;
  /** The last connection, IMAP or handle() error; not cleared by later successes. */
  lastError: string | null;
  /** When a round last completed. */
  lastPollAt: Date | null;
  mailbox: string;
  uidValidity: number | null;
}

export interface ImapPoller {
  /** Resolves after the first connection attempt and, if it connected, the first round. */
  start(): Promise<void>;
  /** Lets an in-flight handle() finish, then closes the connection; leaves no timers or sockets. */
  stop(): Promise<void>;
  state(): ImapPollerState;
  /** One round after the current one; rejects when not connected or when IMAP failed. */
  pollNow(): Promise<void>;
}

/** imapflow enters IDLE only after this much quiet; its 15 s default notices new mail late. */
const AUTO_IDLE_MS = 300;
/** How long stop() waits for a running round before closing the connection under it. */
const STOP_GRACE_MS = 2000;

export function parseImapUrl(url: string) {
  const u = new URL(url);
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') throw new Error(`not an IMAP URL: ${u.protocol}`);
  const secure = u.protocol === 'imaps:';
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(u.username),
    pass: decodeURIComponent(u.password),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

/** `[1,2,3,7]` → `1:3,7`, so a chunk of 200 UIDs stays a short command. */
export function toSequenceSet(uids: number[]): string {
  const parts: string[] = [];
  for (let i = 0, j = 0; i < uids.length; i = ++j) {
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
  }
  return parts.join(',');
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const ignore = () => {};

export function createImapPoller(opts: ImapPollerOptions): ImapPoller {
  const target = parseImapUrl(opts.url);
  const mailbox = target.mailbox;
  const log = opts.log ?? ignore;
  const { initialMs, maxMs } = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const pollCron = opts.pollCron ?? '*/30 * * * * *';
  if (!cron.validate(pollCron)) throw new Error(`invalid pollCron: ${pollCron}`);

  let running = false;
  let client: ImapFlow | null = null;
  let connected = false;
  let cronTask: ScheduledTask | null = null;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  // Reset by a completed round, not by a connect: a server that fails every SELECT still backs off.
  let sessionFailures = 0;
  let handleFailures = 0;
  let lastError: string | null = null;
  let lastPollAt: Date | null = null;
  let uidValidity: number | null = null;
  let done = { uidValidity: -1, uid: 0 }; // our own floor, so a lagging lastUid() cannot make us loop
  let reselect = false;
  let queued: Promise<void> | null = null;
  let tail: Promise<void> = Promise.resolve();

  const backoff = (n: number) => {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(n, 30));
    return Math.round(base / 2 + (Math.random() * base) / 2);
  };
  const clearTimers = () => {
    clearTimeout(reconnectTimer);
    clearTimeout(retryTimer);
    void cronTask?.destroy();
    cronTask = null;
  };

  async function connect(): Promise<void> {
    if (!running) return;
    const { host, port, secure, user, pass } = target;
    const c = new ImapFlow({
      ...{ host, port, secure, auth: { user, pass }, logger: false, connectionTimeout: 30_000 },
      tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true },
      disableAutoIdle: opts.idle === false,
      autoIdleDelay: AUTO_IDLE_MS,
    });
    client = c;
    let why = 'connection closed';
    c.on('error', (err: Error) => {
      why = err.message;
      log('warn', 'IMAP connection error', { mailbox, error: err.message });
    });
    c.on('close', () => dropped(c, c.byeReason ? `server said BYE: ${c.byeReason}` : why));
    c.on('exists', () => void requestRound().catch(ignore));
    try {
      await c.connect();
    } catch (err) {
      return dropped(c, message(err));
    }
    if (client !== c) return; // stopped while connecting
    connected = true;
    const idle = opts.idle !== false && c.capabilities.has('IDLE');
    if (!idle) c.options.disableAutoIdle = true; // else imapflow polls with NOOP next to our cron
    const tick = () => {
      reselect = true;
      void requestRound().catch(ignore);
    };
    cronTask = cron.schedule(pollCron, tick, { noOverlap: true });
    log('info', 'IMAP connected', { host: target.host, port: target.port, mailbox, idle });
    await requestRound().catch(ignore);
  }

  /** Ends a session once, whichever of close, error or a failed round noticed first. */
  function dropped(c: ImapFlow, reason: string): void {
    if (client !== c) return;
    client = null;
    connected = false;
    clearTimers();
    c.close();
    if (!running) return;
    lastError = reason;
    const wait = backoff(sessionFailures++);
    log('warn', `IMAP session ended (${reason}); reconnecting in ${wait} ms`, { mailbox });
    reconnectTimer = setTimeout(() => void connect(), wait);
  }

  /** Rounds never overlap; requests arriving during a round coalesce into one round after it. */
  function requestRound(): Promise<void> {
    if (queued) return queued;
    const p = tail.then(() => {
      queued = null;
      return round();
    });
    tail = p.catch(ignore);
    return (queued = p);
  }

  async function round(): Promise<void> {
    const c = client;
    if (!c || !connected || !running) throw new Error('IMAP poller is not connected');
    clearTimeout(retryTimer);
    try {
      const lock = await c.getMailboxLock(mailbox);
      try {
        // A session keeps its view of a mailbox deleted and recreated under it: Dovecot sends no
        // EXISTS, and NOOP and STATUS still report the old UIDVALIDITY. Only a new SELECT sees it.
        if (reselect) await c.mailboxOpen(mailbox);
        reselect = false;
        if (!c.mailbox) throw new Error(`mailbox ${mailbox} is not selected`);
        const validity = Number(c.mailbox.uidValidity);
        if (uidValidity !== null && validity !== uidValidity) {
          const extra = { mailbox, from: uidValidity, to: validity };
          log('warn', 'UIDVALIDITY changed: old UIDs are void, reading from UID 1', extra);
        }
        uidValidity = validity;
        await drain(c, validity);
      } finally {
        lock.release();
      }
      lastPollAt = new Date();
      sessionFailures = 0;
    } catch (err) {
      if (client !== c || !running) return; // the session already ended; reconnecting covers it
      log('error', 'IMAP round failed', { mailbox, error: message(err) });
      dropped(c, message(err));
      throw err;
    }
  }

  async function drain(c: ImapFlow, validity: number): Promise<void> {
    const doneUpTo = async () =>
      Math.max(await opts.lastUid(mailbox, validity), done.uidValidity === validity ? done.uid : 0);
    const since = await doneUpTo();
    // `N:*` always matches the highest UID, even one below N, hence the filter.
    const found = await c.search({ uid: `${since + 1}:*` }, { uid: true });
    if (!found) throw new Error('UID SEARCH failed');
    const pending = found.filter((uid) => uid > since).sort((a, b) => a - b);
    const chunk = opts.chunkSize ?? 200;
    // Collected whole: issuing commands (or awaiting handle) inside the iterator deadlocks imapflow.
    const fetchChunk = async (uids: number[]) => {
      const batch: { uid: number; source: Buffer }[] = [];
      for await (const m of c.fetch(toSequenceSet(uids), { uid: true, source: true }, { uid: true })) {
        if (m.source) batch.push({ uid: m.uid, source: m.source });
      }
      return batch.sort((a, b) => a.uid - b.uid);
    };
    // The next chunk is fetched while this one is handled: the server works while Guichet does.
    let prefetch: Promise<{ uid: number; source: Buffer }[]> | null = null;
    try {
      for (let i = 0; i < pending.length && running; i += chunk) {
        const fetched = prefetch ? await prefetch : await fetchChunk(pending.slice(i, i + chunk));
        prefetch = i + chunk < pending.length && running ? fetchChunk(pending.slice(i + chunk, i + 2 * chunk)) : null;
        // Never promised away: an unawaited rejection would crash the process.
        prefetch?.then((next) => running && opts.ahead?.(next.map((m) => m.source)), ignore);
        const last = await doneUpTo();
        const batch = fetched.filter((m) => m.uid > last);
        if (!batch.length) continue;
        if (await handleChunk(c, validity, batch)) return;
      }
    } finally {
      // Leave the connection idle: a later command must not queue behind a fetch nobody reads.
      await prefetch?.catch(ignore);
    }
    if (running) handleFailures = 0;
  }

  /** Hands one fetched chunk on and marks what was handled; true when it failed (a retry is set). */
  async function handleChunk(c: ImapFlow, validity: number, batch: { uid: number; source: Buffer }[]): Promise<boolean> {
    const handled: number[] = [];
    let failed = false;
    if (opts.handleBatch && batch.length && running) {
      try {
        await opts.handleBatch(batch.map((m) => ({ raw: m.source, source: { mailbox, uidValidity: validity, uid: m.uid } })));
        handled.push(...batch.map((m) => m.uid));
        done = { uidValidity: validity, uid: batch.at(-1)!.uid };
      } catch (err) {
        failed = true;
        scheduleRetry(batch[0]!.uid, err);
      }
    }
    for (const m of opts.handleBatch ? [] : batch) {
      if (!running) break;
      try {
        await opts.handle(m.source, { mailbox, uidValidity: validity, uid: m.uid });
      } catch (err) {
        failed = true;
        scheduleRetry(m.uid, err);
        break;
      }
      handled.push(m.uid);
      done = { uidValidity: validity, uid: m.uid };
    }
    if (handled.length && client === c) await mark(c, toSequenceSet(handled));
    return failed;
  }

  function scheduleRetry(uid: number, err: unknown): void {
    lastError = message(err);
    const wait = backoff(handleFailures++);
    log('warn', `handle() failed; retrying in ${wait} ms`, { mailbox, uid, error: lastError });
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void requestRound().catch(ignore), wait);
  }

  async function mark(c: ImapFlow, set: string): Promise<void> {
    const markAs = opts.markAs ?? { kind: 'seen' };
    if (markAs.kind === 'seen') {
      if (!(await c.messageFlagsAdd(set, ['\\Seen'], { uid: true }))) throw new Error('STORE \\Seen failed');
      return;
    }
    if (await c.messageMove(set, markAs.folder, { uid: true })) return;
    // Most likely the folder does not exist yet (TRYCREATE); creating an existing one is harmless.
    await c.mailboxCreate(markAs.folder).catch(ignore);
    if (!(await c.messageMove(set, markAs.folder, { uid: true }))) throw new Error(`MOVE to ${markAs.folder} failed`);
  }

  return {
    async start() {
      if (running) return;
      running = true;
      sessionFailures = handleFailures = 0;
      await connect();
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimers();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([tail, new Promise((r) => (grace = setTimeout(r, STOP_GRACE_MS)))]);
      clearTimeout(grace);
      const c = client;
      client = null;
      connected = false;
      c?.close();
      await tail; // a handle() still running finishes before the caller closes its storage
    },
    state: () => ({ connected, idle: connected && !!client?.idling, lastError, lastPollAt, mailbox, uidValidity }),
    pollNow: () => requestRound(),
  };
}
