// Runs nodemailer's pooled SMTP transport on its own thread: encoding and sending a notification
// costs milliseconds of CPU that the intake pipeline, on the main thread, should not wait behind.
// Plain JavaScript so the worker starts without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

const transport = nodemailer.createTransport(workerData.transport);

parentPort.on('message', async (msg) => {
  if (msg.kind === 'close') {
    transport.close();
    parentPort.close();
    return;
  }
  try {
    if (msg.kind === 'verify') {
      await transport.verify();
      parentPort.postMessage({ id: msg.id, response: 'ok' });
    } else {
      const info = await transport.sendMail(msg.message);
      parentPort.postMessage({ id: msg.id, response: String(info.response ?? 'sent') });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: { message: err.message, responseCode: err.responseCode, response: err.response } });
  }
});
