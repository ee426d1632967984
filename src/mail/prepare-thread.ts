// Runs stages 1 (bytes to disk) and 2 (prepare) for a batch of messages, on a worker thread: parsing
// and writing files cost as much CPU as the database work, and on two cores they can overlap it.
// The main thread gets the batch's stored bytes (it records their rows before applying anything) and
// each prepared message as soon as it is ready, so it applies message i while the thread parses
// message i + 1. The same code runs inline where a thread is not worth its start-up (`guichet ingest`).
import { workerThread, type Handler } from '../worker-thread.ts';
import { prepareMail, type PrepareOptions, type Prepared } from './prepare.ts';
import { storeRawBytes, type StoredBytes } from './raw-store.ts';

export interface PrepareThreadOptions extends PrepareOptions {
  rawDir: string;
}

export interface PrepareJob {
  /** Every message's bytes on disk, in order; rejects when they could not all be written. */
  stored: Promise<StoredBytes[]>;
  /** One per message, in order. Never rejects: what went wrong is the message's rejection. */
  prepared: Array<Promise<Prepared>>;
}

export interface Preparer {
  run(raws: Buffer[]): PrepareJob;
  /** Starts the thread now, so that the first message does not wait for it to load. */
  warm(): void;
  close(): Promise<void>;
}

type Progress =
  | { kind: 'stored'; stored: StoredBytes[] }
  | { kind: 'stored-error'; message: string }
  | { kind: 'prepared'; index: number; prepared: Prepared };

/**
 * Stage 1 for the whole batch through the thread pool while stage 2 runs message by message here,
 * reporting each step. The main thread applies nothing before the batch is stored.
 */
export async function prepareBatch(raws: Buffer[], opts: PrepareThreadOptions, report: (p: Progress) => void): Promise<void> {
  const storing = Promise.all(raws.map((raw) => storeRawBytes(opts.rawDir, raw))).then(
    (stored) => report({ kind: 'stored', stored }),
    (err: Error) => report({ kind: 'stored-error', message: err.message }),
  );
  for (const [index, raw] of raws.entries()) report({ kind: 'prepared', index, prepared: await prepareMail(raw, opts) });
  await storing;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject, settled: false };
}

/** A job whose promises are settled by progress reports, from whichever thread makes them. */
function pendingJob(raws: Buffer[], opts: PrepareThreadOptions) {
  const stored = deferred<StoredBytes[]>();
  const prepared = raws.map(() => deferred<Prepared>());
  // A caller that gives up on a batch (its rows were duplicates) must not leave a rejection unheard.
  stored.promise.catch(() => {});
  let unsettled = raws.length + 1;
  return {
    job: { stored: stored.promise, prepared: prepared.map((d) => d.promise) } satisfies PrepareJob,
    /** Returns true once the report settled the last of the job's promises. */
    answer(p: Progress): boolean {
      const d = p.kind === 'prepared' ? prepared[p.index]! : stored;
      if (!d.settled) (d.settled = true), unsettled--;
      if (p.kind === 'stored') stored.resolve(p.stored);
      else if (p.kind === 'stored-error') stored.reject(new Error(`storing raw bytes failed: ${p.message}`));
      else prepared[p.index]!.resolve(p.prepared);
      return unsettled === 0;
    },
    /**
     * The thread died with this job unfinished. When it was working on this job (`culprit`), the
     * first unanswered message is the one it died on: that one fails with the reason, never to be
     * retried in a loop. Everything else is finished here, on the caller's thread.
     */
    lost(err: Error, culprit: boolean): void {
      const open = prepared.flatMap((d, i) => (d.settled ? [] : [{ d, raw: raws[i]! }]));
      void (async () => {
        if (!stored.settled) {
          try {
            stored.resolve(await Promise.all(raws.map((raw) => storeRawBytes(opts.rawDir, raw))));
          } catch (e) {
            stored.reject(new Error(`storing raw bytes failed after the prepare thread stopped (${err.message}): ${(e as Error).message}`));
            return;
          }
        }
        const rest = culprit ? open.slice(1) : open;
        if (culprit) open[0]?.d.resolve({ kind: 'rejected', state: 'failed', reason: `prepare thread stopped on this message: ${err.message}` });
        for (const { d, raw } of rest) d.resolve(await prepareMail(raw, opts));
      })();
    },
  } satisfies Handler<Progress> & { job: PrepareJob };
}

export function inlinePreparer(opts: PrepareThreadOptions): Preparer {
  return {
    run(raws) {
      const pending = pendingJob(raws, opts);
      void prepareBatch(raws, opts, (p) => pending.answer(p));
      return pending.job;
    },
    warm: () => {},
    close: async () => {},
  };
}

/** Batches run on one worker thread, started on first use and again after it dies. */
export function threadPreparer(
  opts: PrepareThreadOptions,
  log: (msg: string) => void = () => {},
  /** The thread's entry point; tests give one that dies on purpose. */
  entry: URL = new URL('./prepare.worker.mjs', import.meta.url),
): Preparer {
  const thread = workerThread<Buffer[], Progress>(entry, opts);
  return {
    run(raws) {
      const pending = pendingJob(raws, opts);
      // Copied, not transferred: the caller's buffers stay usable.
      thread.request(raws, {
        answer: (p) => pending.answer(p),
        // The thread takes batches in order: the oldest one in flight is the one it was working on.
        lost(err, oldest) {
          if (oldest) log(`prepare thread stopped: ${err.message}`);
          pending.lost(err, oldest);
        },
      });
      return pending.job;
    },
    warm: () => thread.warm(),
    /** Lets the batches in hand finish, then stops the thread. */
    close: () => thread.close(),
  };
}
