// Runs stages 1 (bytes to disk) and 2 (prepare) for a batch of messages, on a worker thread: parsing
// and writing files cost as much CPU as the database work, and on two cores they can overlap it.
// The main thread gets the batch's stored bytes (it records their rows before applying anything) and
// each prepared message as soon as it is ready, so it applies message i while the thread parses
// message i + 1. The same code runs inline where a thread is not worth its start-up (`guichet ingest`).
import { Worker } from 'node:worker_threads';
import { prepareMail, type PrepareOptions, type Prepared } from './prepare.ts';
import { storeRawBytes, storeRawBytesAsync, type StoredBytes } from './raw-store.ts';

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
  const storing = Promise.all(raws.map((raw) => storeRawBytesAsync(opts.rawDir, raw))).then(
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
function pendingJob(raws: Buffer[]) {
  const stored = deferred<StoredBytes[]>();
  const prepared = raws.map(() => deferred<Prepared>());
  // A caller that gives up on a batch (its rows were duplicates) must not leave a rejection unheard.
  stored.promise.catch(() => {});
  return {
    raws,
    job: { stored: stored.promise, prepared: prepared.map((d) => d.promise) } satisfies PrepareJob,
    get done() {
      return stored.settled && prepared.every((d) => d.settled);
    },
    report(p: Progress) {
      if (p.kind === 'stored') (stored.settled = true), stored.resolve(p.stored);
      else if (p.kind === 'stored-error') (stored.settled = true), stored.reject(new Error(`storing raw bytes failed: ${p.message}`));
      else (prepared[p.index]!.settled = true), prepared[p.index]!.resolve(p.prepared);
    },
    /**
     * The thread died with this job unfinished. When it was working on this job (`culprit`), the
     * first unanswered message is the one it died on: that one fails with the reason, never to be
     * retried in a loop. Everything else is finished here, on the caller's thread.
     */
    lost(err: Error, opts: PrepareThreadOptions, culprit: boolean) {
      if (!stored.settled) {
        stored.settled = true;
        try {
          stored.resolve(raws.map((raw) => storeRawBytes(opts.rawDir, raw)));
        } catch (e) {
          stored.reject(new Error(`storing raw bytes failed after the prepare thread stopped (${err.message}): ${(e as Error).message}`));
          return;
        }
      }
      const open = prepared.map((d, i) => [d, i] as const).filter(([d]) => !d.settled);
      for (const [d] of open) d.settled = true;
      const rest = culprit ? open.slice(1) : open;
      if (culprit) open[0]?.[0].resolve({ kind: 'rejected', state: 'failed', reason: `prepare thread stopped on this message: ${err.message}` });
      void (async () => {
        for (const [d, i] of rest) d.resolve(await prepareMail(raws[i]!, opts));
      })();
    },
  };
}

export function inlinePreparer(opts: PrepareThreadOptions): Preparer {
  return {
    run(raws) {
      const pending = pendingJob(raws);
      void prepareBatch(raws, opts, (p) => pending.report(p));
      return pending.job;
    },
    warm: () => {},
    close: async () => {},
  };
}

/** One worker thread, started on first use and again after it dies; it never keeps a process alive. */
export function threadPreparer(
  opts: PrepareThreadOptions,
  log: (msg: string) => void = () => {},
  /** The thread's entry point; tests give one that dies on purpose. */
  entry: URL = new URL('./prepare.worker.mjs', import.meta.url),
): Preparer {
  let worker: Worker | null = null;
  const jobs = new Map<number, ReturnType<typeof pendingJob>>();
  let nextId = 1;

  function lost(w: Worker, err: Error) {
    if (worker !== w) return;
    worker = null;
    if (jobs.size) log(`prepare thread stopped: ${err.message}`);
    // The thread takes jobs in order: the oldest unfinished one is the one it was working on.
    const ids = [...jobs.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const job = jobs.get(id)!;
      jobs.delete(id);
      job.lost(err, opts, id === ids[0]);
    }
  }

  function spawn(): Worker {
    const w = new Worker(entry, { workerData: opts });
    w.on('message', (m: { id: number; progress: Progress }) => {
      const job = jobs.get(m.id);
      if (!job) return;
      job.report(m.progress);
      if (job.done) {
        jobs.delete(m.id);
        if (!jobs.size) w.unref();
      }
    });
    w.on('error', (err) => lost(w, err));
    w.on('exit', (code) => lost(w, new Error(`exited with code ${code}`)));
    return w;
  }

  return {
    run(raws) {
      const pending = pendingJob(raws);
      const id = nextId++;
      jobs.set(id, pending);
      worker ??= spawn();
      worker.ref();
      // Copied, not transferred: the caller's buffers stay usable.
      worker.postMessage({ id, raws });
      return pending.job;
    },
    warm() {
      worker ??= spawn();
      worker.unref();
    },
    /** Lets the batches in hand finish, then stops the thread. */
    async close() {
      await Promise.all([...jobs.values()].flatMap(({ job }) => [job.stored.catch(() => {}), ...job.prepared]));
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
