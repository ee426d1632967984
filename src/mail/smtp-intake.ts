// An embedded SMTP receiver feeding the intake pipeline: the demo's "support address", and a way
// to take mail from an MTA that forwards by SMTP. The message is accepted (250) only once its raw
// bytes are stored; a storage failure answers 451 so the sending server keeps it and retries.
import { SMTPServer } from 'smtp-server';
import type { MailSource } from './types.ts';

export interface SmtpIntake {
  port: number;
  close(): Promise<void>;
}

export async function startSmtpIntake(opts: {
  listen: { host: string; port: number };
  maxBytes: number;
  handle: (raw: Buffer, source: MailSource) => Promise<unknown>;
}): Promise<SmtpIntake> {
  const { host, port } = opts.listen;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: opts.maxBytes,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = Object.assign(new Error('message exceeds the size limit'), { responseCode: 552 });
          return callback(err);
        }
        opts.handle(Buffer.concat(chunks), { mailbox: 'smtp', uidValidity: null, uid: null }).then(
          () => callback(),
          (err: Error) => callback(Object.assign(new Error(`temporary failure: ${err.message}`), { responseCode: 451 })),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
