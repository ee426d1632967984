// Runs nodemailer's pooled SMTP transport on its own thread: encoding and sending a notification
// costs milliseconds of CPU that the intake pipeline, on the main thread, should not wait behind.
// Speaks worker-thread.ts's `{ id, data }` protocol, one answer per request; the main thread stops
// it with terminate() once no send is in flight. Plain JavaScript so the worker starts without a
// TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

const transport = nodemailer.createTransport(workerData.transport);

parentPort.on('message', async ({ id, data: request }) => {
  try {
    if (request.kind === 'verify') {
      await transport.verify();
      parentPort.postMessage({ id, data: { response: 'ok' } });
    } else {
      const info = await transport.sendMail(request.message);
      parentPort.postMessage({ id, data: { response: String(info.response ?? 'sent') } });
    }
  } catch (err) {
    // What the outbox needs to tell a relay failure from a refused recipient (mailer.ts, classifyFailure).
    const { message, responseCode, response, code, command } = err;
    parentPort.postMessage({ id, data: { error: { message, responseCode, response, code, command } } });
  }
});
