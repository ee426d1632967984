// The prepare thread (prepare-thread.ts, over worker-thread.ts's `{ id, data }` protocol). Plain
// JavaScript. The build's copy (dist/) loads the compiled module beside it. This file, started by a
// process that runs the sources (tests, benchmarks, an edited checkout), loads the compiled module
// too when it is current (compiled.mjs), else registers the TypeScript loader for the thread, since
// a worker does not inherit the loader of its parent: the loader costs the thread about 40 MB and
// half a second of CPU at each start.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

async function load() {
  if (!existsSync(new URL('./prepare-thread.ts', import.meta.url))) return import('./prepare-thread.ts');
  const { compiled } = await import('../compiled.mjs');
  const twin = compiled('src/mail/prepare-thread.ts');
  if (twin) return import(pathToFileURL(twin).href);
  (await import('tsx/esm/api')).register();
  return import('./prepare-thread.ts');
}
const { prepareBatch } = await load();

// One batch at a time, in arrival order: the main thread expects each batch's messages in order,
// and takes the oldest unfinished batch for the one this thread died on.
let queue = Promise.resolve();
parentPort.on('message', ({ id, data: raws }) => {
  // A Buffer arrives as a Uint8Array; a spooled message ({ spooled }) as itself.
  const buffers = raws.map((r) => (r instanceof Uint8Array ? Buffer.from(r.buffer, r.byteOffset, r.byteLength) : r));
  queue = queue.then(() => prepareBatch(buffers, workerData, (progress) => parentPort.postMessage({ id, data: progress })));
});
