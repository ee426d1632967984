// An SMTP sender thread that dies (exit code 70) when the first message it is given has "die" in
// its subject, before sending it: what a crash in the transport does. A thread that has already
// taken a message sends whatever comes next, so a retry that reaches the thread a later send started
// goes through. Otherwise the same loop as src/notify/smtp-sender.worker.mjs, on a real transport.
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

const transport = nodemailer.createTransport(workerData.transport);
let first = true;

parentPort.on('message', async ({ id, data: request }) => {
  if (first && request.kind === 'send' && request.message.subject.includes('die')) process.exit(70);
  first = false;
  try {
    const info = await transport.sendMail(request.message);
    parentPort.postMessage({ id, data: { response: String(info.response ?? 'sent') } });
  } catch (err) {
    parentPort.postMessage({ id, data: { error: { message: err.message, responseCode: err.responseCode, response: err.response } } });
  }
});
