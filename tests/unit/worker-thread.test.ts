// A thread given idleMs ends after that long without a request, and the next request starts a new
// one: what lets the prepare thread give its memory back while no mail comes.
import { expect, it } from 'vitest';
import { workerThread } from '../../src/worker-thread.ts';

const ECHO = new URL(`data:text/javascript,${encodeURIComponent(
  "import { parentPort, threadId } from 'node:worker_threads'; parentPort.on('message', ({ id }) => parentPort.postMessage({ id, data: threadId }));",
)}`);

it('ends a thread idle for idleMs and starts a new one for the next request; a busy one is kept', async () => {
  const thread = workerThread<null, number>(ECHO, undefined, { idleMs: 300 });
  const ask = () => new Promise<number>((resolve, reject) => thread.request(null, { answer: (id) => (resolve(id), true), lost: reject }));
  const first = await ask();
  await new Promise((r) => setTimeout(r, 100));
  expect(await ask()).toBe(first);
  await new Promise((r) => setTimeout(r, 100));
  expect(await ask()).toBe(first); // each request restarts the count
  await new Promise((r) => setTimeout(r, 600));
  const next = await ask();
  expect(next).not.toBe(first);
  await thread.close();
});
