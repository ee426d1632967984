// A prepare thread that dies (exit code 70) when it reaches a message whose bytes contain
// "X-Test: die here", before reporting it: what a crash or a fatal out-of-memory in the parser does.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { prepareBatch } = await import('../../src/mail/prepare-thread.ts');

let queue = Promise.resolve();
parentPort.on('message', ({ id, data: raws }) => {
  const buffers = raws.map((u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
  queue = queue.then(() =>
    prepareBatch(buffers, workerData, (progress) => {
      if (progress.kind === 'prepared' && buffers[progress.index].includes('X-Test: die here')) process.exit(70);
      parentPort.postMessage({ id, data: progress });
    }),
  );
});
