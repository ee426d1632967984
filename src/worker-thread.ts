// A worker thread that runs requests for the main thread. The prepare stage and the SMTP sender
// each run on one, and a thread can die under them (a crash in a parser or a transport, a fatal
// out-of-memory): a caller must then hear of it instead of waiting forever, and the next request
// must not be posted to a dead thread. This file is that lifecycle, written once.
// Guarantees: the thread starts on first use (or on warm()), and, given idleMs, ends after that long
// without a request; it never keeps the process alive while no request is in flight; each request
// ends exactly once, either done (its handler said so) or lost (its handler's `lost`, called only
// for the requests in flight when the thread died); the request
// after a death starts a new thread. A caller may also stop a thread that takes too long (abort):
// that is a death with the caller's reason. It depends on nothing of Guichet's.
// The protocol, both ways, is `{ id, data }`: the thread answers a request with one or more messages
// carrying its id (progress, then a result), and may answer several requests in any order.
import { Worker } from 'node:worker_threads';

/** What the main thread does with one request's answers. */
export interface Handler<Answer> {
  /** One message the thread posted for this request; returns true when it was the last. */
  answer(data: Answer): boolean;
  /**
   * The thread died before the last answer. Called for each request in flight, oldest first, with
   * `oldest` true for the first: the one a thread that takes requests in order was working on.
   */
  lost(err: Error, oldest: boolean): void;
}

export interface WorkerThread<Request, Answer> {
  request(data: Request, handler: Handler<Answer>): void;
  /** Starts the thread now, so that the first request does not wait for it to load. */
  warm(): void;
  /** Lets the requests in hand end, then stops the thread; a later request starts a new one. */
  close(): Promise<void>;
  /**
   * Terminates the thread now, even in the middle of synchronous code: the requests in flight are
   * lost with `err` (oldest first), whatever it posts after is dropped, and the next request starts
   * a new thread.
   */
  abort(err: Error): void;
}

export function workerThread<Request, Answer>(
  entry: URL,
  workerData?: unknown,
  /** idleMs: a thread given no request for this long is stopped, its memory given back; the next request starts one. */
  opts: { idleMs?: number } = {},
): WorkerThread<Request, Answer> {
  let worker: Worker | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  // A Map keeps insertion order: its first entry is the oldest request in flight.
  const inFlight = new Map<number, Handler<Answer>>();
  const waitingForIdle: Array<() => void> = [];
  let nextId = 1;

  function ended(): void {
    if (inFlight.size) return;
    worker?.unref();
    for (const wake of waitingForIdle.splice(0)) wake();
    stopWhenIdle();
  }

  function stopWhenIdle(): void {
    if (!opts.idleMs || !worker || idleTimer) return;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (inFlight.size || !worker) return;
      // As close() does: nothing in flight, so no request is lost; its exit is not a death.
      const w = worker;
      worker = null;
      w.terminate().catch(() => {});
    }, opts.idleMs);
    idleTimer.unref();
  }

  function keep(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
  }

  function died(w: Worker, err: Error): void {
    // `error` is followed by `exit`, and a thread stopped by close() exits too: only the first
    // event of the current thread counts.
    if (worker !== w) return;
    worker = null;
    const lost = [...inFlight.values()];
    inFlight.clear();
    lost.forEach((handler, i) => handler.lost(err, i === 0));
    ended();
  }

  function start(): Worker {
    const w = new Worker(entry, { workerData });
    w.unref();
    w.on('message', ({ id, data }: { id: number; data: Answer }) => {
      if (!inFlight.get(id)?.answer(data)) return;
      inFlight.delete(id);
      ended();
    });
    w.on('error', (err) => died(w, err));
    w.on('exit', (code) => died(w, new Error(`exited with code ${code}`)));
    return w;
  }

  return {
    request(data, handler) {
      const id = nextId++;
      keep();
      const w = (worker ??= start());
      inFlight.set(id, handler);
      w.ref();
      try {
        w.postMessage({ id, data });
      } catch (err) {
        // Data that cannot be cloned never reached the thread: it must not hold the process open.
        inFlight.delete(id);
        ended();
        throw err;
      }
    },
    warm() {
      worker ??= start();
      if (!inFlight.size) stopWhenIdle();
    },
    async close() {
      while (inFlight.size) await new Promise<void>((wake) => waitingForIdle.push(wake));
      keep();
      // Nothing in flight and no await from here on: no request can reach the thread being stopped.
      const w = worker;
      worker = null;
      await w?.terminate();
    },
    abort(err) {
      const w = worker;
      if (!w) return;
      died(w, err);
      w.terminate().catch(() => {});
    },
  };
}
