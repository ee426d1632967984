// The prepare thread (prepare-thread.ts, over worker-thread.ts's `{ id, data }` protocol). Plain
// JavaScript. Run from the sources, it registers the TypeScript loader for the thread, since a worker
// does not inherit the loader its parent registered in-process; the build's copy (dist/) finds the
// compiled module beside it instead, and so never loads tsx.
import { existsSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

if (existsSync(new URL('./prepare-thread.ts', import.meta.url))) (await import('tsx/esm/api')).register();
const { prepareBatch } = await import('./prepare-thread.ts');

// One batch at a time, in arrival order: the main thread expects each batch's messages in order,
// and takes the oldest unfinished batch for the one this thread died on.
let queue = Promise.resolve();
parentPort.on('message', ({ id, data: raws }) => {
  // A Buffer arrives as a Uint8Array; a spooled message ({ spooled }) as itself.
  const buffers = raws.map((r) => (r instanceof Uint8Array ? Buffer.from(r.buffer, r.byteOffset, r.byteLength) : r));
  queue = queue.then(() => prepareBatch(buffers, workerData, (progress) => parentPort.postMessage({ id, data: progress })));
});
