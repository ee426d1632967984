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
import type { Log } from '../log.ts';
import { cutChunks } from './imap-chunks.ts';
import { parseImapUrl, toSequenceSet } from './imap-syntax.ts';
import { spoolStream, SPOOL_BYTES, type RawMessage, type RawSpool } from './raw-store.ts';

export interface FetchedMessage {
  /** The bytes, or for a message over spoolAbove, where they were stored as they were downloaded. */
  raw: RawMessage;
  source: { mailbox: string; uidValidity: number; uid: number };
}

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
  /** UIDs at or below this are done for this (mailbox, uidValidity); asked at the start of each round. */
  lastUid(mailbox: string, uidValidity: number): Promise<number>;
  /**
   * Handles one fetched chunk idempotently, in UID order; resolves once it is stored durably, and
   * only then is the chunk marked. Throwing means "try again later": the round stops and the chunk
   * comes back whole on a later one. The next chunk is handed over as soon as it is fetched, which
   * may be before this one's promise settles: the handler must apply chunks in the order it got
   * them, and not apply one whose predecessor failed (the intake does both).
   */
  handle(chunk: FetchedMessage[]): Promise<unknown>;
  log?: Log;
  /** Backoff for reconnects and for retrying a failed handle(); default 1 s → 60 s, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Ceiling of the wait before reconnecting when the server could not be reached or dropped the
   * session; default 4 s. A refused connection costs the server nothing, and a restarted server is
   * then read within seconds of its return however long it was away. A failing round, or a login
   * reported refused, keeps the full backoff: the server answers, and would answer the same again.
   */
  reconnectMaxMs?: number;
  /** Messages fetched (and held in memory) per chunk; default 200. */
  chunkSize?: number;
  /**
   * Bytes (RFC822.SIZE) fetched and held in memory per chunk, default 32 MiB; a message larger than
   * this is a chunk of its own. With the next chunk fetched ahead, at most about twice this is held.
   */
  chunkBytes?: number;
  /** How long stop() lets a running round finish before closing the connection under it; default 2 s. */
  stopGraceMs?: number;
  /**
   * Where a message over `spoolAbove` bytes (RFC822.SIZE) is written as it is downloaded, piece by
   * piece, instead of being fetched whole into memory; its finish() syncs it. Without it every
   * message is fetched whole.
   */
  spool?: () => Promise<RawSpool>;
  /** Default SPOOL_BYTES (1 MiB). */
  spoolAbove?: number;
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
  /**
   * Fetches nothing more, lets the chunks already handed to handle() finish and be marked, then logs
   * out (ending IDLE); leaves no timers or sockets.
   */
  stop(): Promise<void>;
  state(): ImapPollerState;
  /** One round after the current one; rejects when not connected or when IMAP failed. */
  pollNow(): Promise<void>;
}

/** imapflow enters IDLE only after this much quiet; its 15 s default notices new mail late. */
const AUTO_IDLE_MS = 300;
/** How long stop() waits for a running round before closing the connection under it. */
const STOP_GRACE_MS = 2000;

const DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024;
/** A spooled message is downloaded this much per command (imapflow's default, 64 KiB, costs a round trip each). */
const DOWNLOAD_PIECE_BYTES = 1024 * 1024;

/** RFC822.SIZE of each UID, collected whole before any other command (see drain()). */
async function sizesOf(c: ImapFlow, uids: number[]): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for await (const m of c.fetch(toSequenceSet(uids), { uid: true, size: true }, { uid: true })) {
    if (typeof m.size === 'number') sizes.set(m.uid, m.size);
  }
  return sizes;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const ignore = () => {};

export function createImapPoller(opts: ImapPollerOptions): ImapPoller {
  const target = parseImapUrl(opts.url);
  const mailbox = target.mailbox;
  const log = opts.log ?? ignore;
  const { initialMs, maxMs } = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const reconnectMaxMs = Math.min(maxMs, opts.reconnectMaxMs ?? 4000);
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

  const backoff = (n: number, ceiling = maxMs) => {
    const base = Math.min(ceiling, initialMs * 2 ** Math.min(n, 30));
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
    c.on('close', () => dropped(c, c.byeReason ? `server said BYE: ${c.byeReason}` : why, { unreachable: true }));
    c.on('exists', () => void requestRound().catch(ignore));
    try {
      await c.connect();
    } catch (err) {
      const refusedLogin = (err as { authenticationFailed?: boolean }).authenticationFailed === true;
      return dropped(c, message(err), { unreachable: !refusedLogin });
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
  function dropped(c: ImapFlow, reason: string, how: { unreachable?: boolean } = {}): void {
    if (client !== c) return;
    client = null;
    connected = false;
    clearTimers();
    c.close();
    if (!running) return;
    lastError = reason;
    const wait = backoff(sessionFailures++, how.unreachable ? reconnectMaxMs : maxMs);
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
    const since = Math.max(await opts.lastUid(mailbox, validity), done.uidValidity === validity ? done.uid : 0);
    // `N:*` always matches the highest UID, even one below N, hence the filter.
    const found = await c.search({ uid: `${since + 1}:*` }, { uid: true });
    if (!found) throw new Error('UID SEARCH failed');
    const pending = found.filter((uid) => uid > since).sort((a, b) => a - b);
    const sizes = pending.length ? await sizesOf(c, pending) : new Map<number, number>();
    const chunks = cutChunks(pending, sizes, opts.chunkSize ?? 200, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const spoolAbove = opts.spoolAbove ?? SPOOL_BYTES;
    // Collected whole: issuing commands (or awaiting handle) inside the iterator deadlocks imapflow.
    // Handed over as soon as fetched, so the handler works on it while the previous one is handled;
    // never after a chunk of this round failed (the round stops there and comes back later).
    let failed = false;
    const fetchAndHand = async (uids: number[]) => {
      const fetched: FetchedMessage[] = [];
      const spooled = opts.spool ? uids.filter((uid) => (sizes.get(uid) ?? 0) > spoolAbove) : [];
      const whole = spooled.length ? uids.filter((uid) => !spooled.includes(uid)) : uids;
      if (whole.length) {
        for await (const m of c.fetch(toSequenceSet(whole), { uid: true, source: true }, { uid: true })) {
          if (m.source) fetched.push({ raw: m.source, source: { mailbox, uidValidity: validity, uid: m.uid } });
        }
      }
      // After the fetch above has ended, one at a time: each download is a series of commands. A
      // message expunged meanwhile downloads nothing and is skipped, as the fetch skips it.
      for (const uid of spooled) {
        const { content } = await c.download(String(uid), undefined, { uid: true, chunkSize: DOWNLOAD_PIECE_BYTES });
        if (content) fetched.push({ raw: await spoolStream(opts.spool!, content), source: { mailbox, uidValidity: validity, uid } });
      }
      fetched.sort((a, b) => a.source.uid - b.source.uid);
      const handing = fetched.length > 0 && running && !failed;
      const handled = handing ? opts.handle(fetched) : Promise.resolve();
      handled.catch(() => (failed = true)); // awaited below; this also keeps an early failure from being unhandled
      // A chunk fetched after stop() was not handed over: it must not be marked.
      return { uids: handing ? fetched.map((m) => m.source.uid) : [], handled };
    };
    let next: ReturnType<typeof fetchAndHand> | null = chunks.length ? fetchAndHand(chunks[0]!) : null;
    next?.catch(ignore);
    try {
      // Runs on after stop() until the chunks already handed over are marked, so a stop leaves no
      // stored message unmarked; no chunk is fetched after it.
      for (let i = 0; next; i++) {
        const current = await next;
        // The next chunk is fetched while this one is handled: the server works while Guichet does.
        next = i + 1 < chunks.length && running ? fetchAndHand(chunks[i + 1]!) : null;
        next?.catch(ignore);
        try {
          await current.handled;
        } catch (err) {
          scheduleRetry(current.uids[0]!, err);
          return;
        }
        if (!current.uids.length) continue;
        done = { uidValidity: validity, uid: current.uids.at(-1)! };
        if (client === c) await mark(c, toSequenceSet(current.uids));
      }
    } finally {
      // Leave the connection idle: a later command must not queue behind a fetch nobody reads.
      await next?.then((n) => n.handled, ignore).catch(ignore);
    }
    if (running) handleFailures = 0;
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
      await Promise.race([tail, new Promise((r) => (grace = setTimeout(r, opts.stopGraceMs ?? STOP_GRACE_MS)))]);
      clearTimeout(grace);
      const c = client;
      client = null;
      connected = false;
      if (c?.usable) {
        // LOGOUT ends IDLE the way the server expects; a server that does not answer is cut off.
        let bye: NodeJS.Timeout | undefined;
        await Promise.race([c.logout().catch(ignore), new Promise((r) => (bye = setTimeout(r, 1000)))]);
        clearTimeout(bye);
      }
      c?.close();
      await tail; // a handle() still running finishes before the caller closes its storage
    },
    state: () => ({ connected, idle: connected && !!client?.idling, lastError, lastPollAt, mailbox, uidValidity }),
    pollNow: () => requestRound(),
  };
}
