// A real SMTP server (smtp-server) that captures what Guichet sends, parsed for assertions. It can
// misbehave on demand, as relays do: refuse the next transactions at MAIL FROM, RCPT TO or DATA,
// refuse one recipient for good, require AUTH and refuse the password, or go down (nothing listens
// on its port) and come back on the same port.
import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Captured {
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
  header(name: string): string;
}

export type SinkCommand = 'MAIL' | 'RCPT' | 'DATA';

export interface SmtpSinkOptions {
  /** AUTH required with these credentials (PLAIN/LOGIN without TLS); `url` carries them. */
  auth?: { user: string; pass: string };
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: Captured[];
  /** Resolves with the first `count` messages once that many arrived (rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<Captured[]>;
  /**
   * Makes the next `n` transactions fail with the given SMTP code (451 transient, 550 permanent),
   * answered to MAIL FROM unless another command is named.
   */
  failNext(n: number, code: number, command?: SinkCommand): void;
  /** Refuses this recipient at RCPT TO with `code` (550 by default) until `acceptRecipient`. */
  refuseRecipient(address: string, code?: number): void;
  acceptRecipient(address: string): void;
  /** With `auth`: refuses every login with 535 while true (a changed password). */
  refuseAuth(on: boolean): void;
  /** Stops listening and drops every open connection: connecting is refused until `up()`. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Transactions that reached DATA's end, refused ones included: how often Guichet tried. */
  attempts: number;
  clear(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: Captured[] = [];
  const waiters: Array<() => void> = [];
  const refused = new Map<string, number>();
  const sockets = new Set<Socket>();
  let failures = 0;
  let failCode = 451;
  let failCommand: SinkCommand = 'MAIL';
  let authRefused = false;
  let isDown = false;
  let attempts = 0;
  const refusal = (code: number) =>
    Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code });
  /** Whether this command is the one to fail now; counts the failure. */
  const failing = (command: SinkCommand) => {
    if (failures > 0 && failCommand === command) {
      failures--;
      return true;
    }
    return false;
  };
  const server = new SMTPServer({
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (!opts.auth) return cb(null, { user: auth.username }); // optional, any login accepted
      if (!authRefused && auth.username === opts.auth?.user && auth.password === opts.auth?.pass) return cb(null, { user: auth.username });
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, cb) {
      if (failing('MAIL')) return cb(refusal(failCode));
      cb();
    },
    onRcptTo(address, _session, cb) {
      const code = refused.get(address.address.toLowerCase());
      if (code) return cb(Object.assign(new Error(`<${address.address}>: recipient refused`), { responseCode: code }));
      if (failing('RCPT')) return cb(refusal(failCode));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        attempts++;
        if (failing('DATA')) return cb(refusal(failCode));
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
  // A client killed mid-session (a crash test) resets its connection: not the sink's failure.
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.server.address() as { port: number }).port;
  const credentials = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    get attempts() {
      return attempts;
    },
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
    failNext(n, code, command = 'MAIL') {
      failures = n;
      failCode = code;
      failCommand = command;
    },
    refuseRecipient(address, code = 550) {
      refused.set(address.toLowerCase(), code);
    },
    acceptRecipient(address) {
      refused.delete(address.toLowerCase());
    },
    refuseAuth(on) {
      authRefused = on;
    },
    async down() {
      if (isDown) return;
      isDown = true;
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async up() {
      if (!isDown) return;
      isDown = false;
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.server.listen(port, '127.0.0.1', () => {
          server.server.off('error', reject);
          resolve();
        });
      });
    },
    clear() {
      messages.length = 0;
      attempts = 0;
    },
    close: async () => {
      if (isDown) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
