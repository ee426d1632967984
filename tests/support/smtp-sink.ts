// A real SMTP server (smtp-server) that captures what Guichet sends, parsed for assertions.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Captured {
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
  header(name: string): string;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: Captured[];
  /** Resolves with the first `count` messages once that many arrived (rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<Captured[]>;
  /** Makes the next `n` transactions fail with the given SMTP code (451 transient, 550 permanent). */
  failNext(n: number, code: number): void;
  clear(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: Captured[] = [];
  const waiters: Array<() => void> = [];
  let failures = 0;
  let failCode = 451;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom(_address, _session, cb) {
      if (failures > 0) {
        failures--;
        return cb(Object.assign(new Error(failCode >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: failCode }));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: raw.toString('utf8'),
          parsed,
          header: (name) => {
            const v = parsed.headers.get(name.toLowerCase());
            return v == null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
          },
        });
        waiters.splice(0).forEach((w) => w());
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} messages, got ${messages.length}`)), timeoutMs);
        const check = () => {
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve(messages.slice(0, count));
          } else waiters.push(check);
        };
        check();
      });
    },
    failNext(n, code) {
      failures = n;
      failCode = code;
    },
    clear() {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
