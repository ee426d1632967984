// Runs stages 1 (bytes to disk) and 2 (prepare) for a batch of messages, on a worker thread: parsing
// and writing files cost as much CPU as the database work, and on two cores they can overlap it.
// The main thread gets the batch's stored bytes (it records their rows before applying anything) and
// each prepared message as soon as it is ready; the intake applies a batch once all of it is
// prepared, while the thread prepares the next batch. Each message has a time budget on the thread
// (limits.parseSeconds). The same code runs inline where a thread is not worth its start-up
// (`guichet ingest`), without a budget: synchronous code on the caller's thread cannot be stopped.
// A large message comes already stored (a SpooledRaw): the thread is given its name, not its bytes.
import path from 'node:path';
import { workerThread } from '../worker-thread.ts';
import { prepareMail, type PrepareOptions, type Prepared } from './prepare.ts';
import { isSpooled, storeRawBytes, type RawMessage, type StoredBytes } from './raw-store.ts';

export interface PrepareThreadOptions extends PrepareOptions {
  rawDir: string;
  /**
   * `parseSeconds`: the time one message may take to prepare on the thread (default 30). Past it
   * the message fails alone and the thread is replaced; the inline preparer cannot enforce it.
   */
  limits: PrepareOptions['limits'] & { parseSeconds?: number };
}

export const DEFAULT_PARSE_SECONDS = 30;

export interface PrepareJob {
  /** Every message's bytes on disk, in order; rejects when they could not all be written. */
  stored: Promise<StoredBytes[]>;
  /** One per message, in order. Never rejects: what went wrong is the message's rejection. */
  prepared: Array<Promise<Prepared>>;
}

export interface Preparer {
  run(raws: RawMessage[]): PrepareJob;
  /** Starts the thread now, so that the first message does not wait for it to load. */
  warm(): void;
  close(): Promise<void>;
}

type Progress =
  | { kind: 'begin' }
  | { kind: 'stored'; stored: StoredBytes[] }
  | { kind: 'stored-error'; message: string }
  | { kind: 'prepared'; index: number; prepared: Prepared };

/** Stage 1 for one message: a spooled one is on disk already. */
function store(rawDir: string, raw: RawMessage): Promise<StoredBytes> {
  return isSpooled(raw) ? Promise.resolve(raw.spooled) : storeRawBytes(rawDir, raw);
}

/**
 * Stage 1 for the whole batch through the thread pool while stage 2 runs message by message here,
 * reporting each step. The main thread applies nothing before the batch is stored.
 */
export async function prepareBatch(raws: RawMessage[], opts: PrepareThreadOptions, report: (p: Progress) => void): Promise<void> {
  // The first message's clock starts here, not when the batch was posted: a thread still loading,
  // or busy with an earlier batch, is not this message's time.
  report({ kind: 'begin' });
  const storing = Promise.all(raws.map((raw) => store(opts.rawDir, raw))).then(
    (stored) => report({ kind: 'stored', stored }),
    (err: Error) => report({ kind: 'stored-error', message: err.message }),
  );
  for (const [index, raw] of raws.entries()) {
    const input = isSpooled(raw) ? { file: path.join(opts.rawDir, raw.spooled.rawPath), size: raw.spooled.size, sha256: raw.spooled.sha256 } : raw;
    report({ kind: 'prepared', index, prepared: await prepareMail(input, opts) });
  }
  await storing;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject, settled: false };
}

/** Preparing one message took longer than limits.parseSeconds: the thread was stopped on it. */
class PrepareTimeout extends Error {}

/**
 * A job whose promises are settled by progress reports, from whichever thread makes them. Each
 * promise settles once: a late report (from a thread stopped after the message was given up) is
 * dropped, so a message never gets two outcomes.
 */
function pendingJob(raws: RawMessage[], opts: PrepareThreadOptions) {
  const stored = deferred<StoredBytes[]>();
  const prepared = raws.map(() => deferred<Prepared>());
  // A caller that gives up on a batch (its rows were duplicates) must not leave a rejection unheard.
  stored.promise.catch(() => {});
  return {
    job: { stored: stored.promise, prepared: prepared.map((d) => d.promise) } satisfies PrepareJob,
    stored,
    isOpen: (index: number) => !prepared[index]!.settled,
    storedReport(p: Exclude<Progress, { kind: 'begin' | 'prepared' }>): void {
      if (stored.settled) return;
      stored.settled = true;
      if (p.kind === 'stored') stored.resolve(p.stored);
      else stored.reject(new Error(`storing raw bytes failed: ${p.message}`));
    },
    settle(index: number, p: Prepared): void {
      const d = prepared[index]!;
      if (d.settled) return;
      d.settled = true;
      d.resolve(p);
    },
    /** Stage 1 on this thread, for a job whose thread stopped before reporting it. */
    async storeHere(err: Error): Promise<void> {
      if (stored.settled) return;
      stored.settled = true;
      try {
        stored.resolve(await Promise.all(raws.map((raw) => store(opts.rawDir, raw))));
      } catch (e) {
        stored.reject(new Error(`storing raw bytes failed after the prepare thread stopped (${err.message}): ${(e as Error).message}`));
      }
    },
  };
}

export function inlinePreparer(opts: PrepareThreadOptions): Preparer {
  return {
    run(raws) {
      const pending = pendingJob(raws, opts);
      void prepareBatch(raws, opts, (p) => {
        if (p.kind === 'prepared') pending.settle(p.index, p.prepared);
        else if (p.kind !== 'begin') pending.storedReport(p);
      });
      return pending.job;
    },
    warm: () => {},
    close: async () => {},
  };
}

/**
 * The thread ends after this long without mail, giving back its memory (its parsers, its heap and,
 * in a process that runs the sources without a current build, its own TypeScript loader); the next
 * mail after a quiet spell waits for a new one to load.
 */
const IDLE_STOP_MS = 30_000;

/**
 * Batches run on one worker thread, started on first use and again after it dies or is stopped.
 * Each message has `limits.parseSeconds` to be prepared, counted from the thread's report of the
 * one before (or of the batch's start): past it the thread is terminated, the message fails with
 * the reason, and the rest of the batch is posted again to a new thread.
 */
export function threadPreparer(
  opts: PrepareThreadOptions,
  log: (msg: string) => void = () => {},
  /** The thread's entry point; tests give one that dies or hangs on purpose. */
  entry: URL = new URL('./prepare.worker.mjs', import.meta.url),
): Preparer {
  const thread = workerThread<RawMessage[], Progress>(entry, opts, { idleMs: IDLE_STOP_MS });
  const seconds = opts.limits.parseSeconds ?? DEFAULT_PARSE_SECONDS;
  // The thread takes one batch at a time and its messages in order: one clock is enough.
  let clock: NodeJS.Timeout | null = null;
  const stop = () => {
    if (clock) clearTimeout(clock);
    clock = null;
  };
  const start = () => {
    stop();
    clock = setTimeout(() => {
      clock = null;
      thread.abort(new PrepareTimeout(`preparing took longer than ${seconds} s (limits.parseSeconds)`));
    }, seconds * 1000);
    clock.unref();
  };

  /**
   * Posts the messages `indices` of a job to the thread. The first post also stores the batch; a
   * post after a stop carries only the messages still open, each reported back under its index.
   */
  function post(raws: RawMessage[], pending: ReturnType<typeof pendingJob>, indices: number[], first: boolean): void {
    let reported = 0;
    let storedSeen = false;
    // Copied, not transferred: the caller's buffers stay usable. A spooled message is only its name.
    thread.request(
      indices.map((i) => raws[i]!),
      {
        answer(p) {
          if (p.kind === 'begin') {
            if (indices.length) start();
            return false;
          }
          if (p.kind === 'prepared') {
            pending.settle(indices[p.index]!, p.prepared);
            reported = p.index + 1;
            if (reported < indices.length) start();
            else stop();
          } else {
            storedSeen = true;
            if (first) pending.storedReport(p);
          }
          return storedSeen && reported === indices.length;
        },
        // The thread takes batches in order: the oldest one in flight is the one it was working on.
        // When it stopped on this post (`oldest`), the first unanswered message is the one it stopped
        // on: that one fails with the reason, never to be retried in a loop. The others are posted
        // again, to a new thread, so a second slow message is bounded too.
        lost(err, oldest) {
          const open = indices.filter((i) => pending.isOpen(i));
          if (oldest) {
            stop();
            log(`prepare thread stopped: ${err.message}`);
            const culprit = open.shift();
            if (culprit !== undefined) {
              const reason = err instanceof PrepareTimeout ? err.message : `prepare thread stopped on this message: ${err.message}`;
              pending.settle(culprit, { kind: 'rejected', state: 'failed', reason });
            }
          }
          if (first) void pending.storeHere(err);
          if (open.length) post(raws, pending, open, false);
        },
      },
    );
  }

  return {
    run(raws) {
      const pending = pendingJob(raws, opts);
      post(raws, pending, raws.map((_, i) => i), true);
      return pending.job;
    },
    warm: () => thread.warm(),
    /** Lets the batches in hand finish, then stops the thread. */
    close: () => thread.close(),
  };
}
