// A prepare thread that hangs, in synchronous code that never yields, when it reaches a message whose
// bytes contain "X-Test: hang here", before reporting it: what a regex gone quadratic or a
// pathological MIME structure does to the parser. Only terminating the thread stops it.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { prepareBatch } = await import('../../src/mail/prepare-thread.ts');

let queue = Promise.resolve();
parentPort.on('message', ({ id, data: raws }) => {
  const buffers = raws.map((u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
  queue = queue.then(() =>
    prepareBatch(buffers, workerData, (progress) => {
      if (progress.kind === 'prepared' && buffers[progress.index].includes('X-Test: hang here')) for (;;);
      parentPort.postMessage({ id, data: progress });
    }),
  );
});
