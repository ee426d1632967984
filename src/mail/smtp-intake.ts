// An embedded SMTP receiver feeding the intake pipeline: the demo's "support address", and a way
// to take mail from an MTA that forwards by SMTP. The message is accepted (250) only once its raw
// bytes are stored; a storage failure answers 451 (452 when the disk is full) so the sending server
// keeps it and retries. A large message (over SPOOL_BYTES) is written to the raw store as it arrives
// and handed on by name, never held whole; the smaller ones, most mail, are kept in memory.
//
// Its limits: only Guichet's own addresses as recipients (550 otherwise, asked of `isOurs`), SIZE
// announced and nothing buffered past it (552), at most `maxClients` sessions at once (421 beyond),
// optionally AUTH PLAIN/LOGIN required and/or clients restricted to allowed addresses (554 at connect).
import { timingSafeEqual, createHash } from 'node:crypto';
import { BlockList, isIPv6 } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { SPOOL_BYTES, type RawMessage, type RawSpool } from './raw-store.ts';
import type { MailSource } from './types.ts';

export interface SmtpIntake {
  port: number;
  close(): Promise<void>;
}

export interface SmtpIntakeOptions {
  listen: { host: string; port: number };
  maxBytes: number;
  handle: (raw: RawMessage, source: MailSource) => Promise<unknown>;
  /**
   * Where a message past `spoolAbove` bytes is written as it arrives (the intake's raw store); its
   * finish() syncs it before handle() is called. Without it every message is held in memory.
   */
  spool?: () => Promise<RawSpool>;
  /** Default SPOOL_BYTES (1 MiB). */
  spoolAbove?: number;
  /** Whether a recipient is one of Guichet's addresses; anything else is refused with 550. */
  isOurs: (address: string) => Promise<boolean>;
  /** Concurrent sessions; default 20. */
  maxClients?: number;
  /** When set, AUTH (PLAIN or LOGIN) with these credentials is required before MAIL FROM. */
  auth?: { user: string; pass: string } | null;
  /** When set, only these client addresses (or CIDR ranges) may connect; others get 554. */
  allowedClients?: string[] | null;
}

/**
 * A full disk or quota is 452 (RFC 5321: insufficient system storage), which senders queue and
 * retry like 451. The code may be lost on an error coming back from the intake's worker thread,
 * so the message is read too.
 */
function outOfSpace(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /\b(ENOSPC|EDQUOT)\b/.test(err.message);
}

const replyError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

/** Constant-time equality of two strings (hashed first, so their lengths leak nothing either). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) → `127.0.0.1`. */
function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** The allowed addresses and ranges (`10.0.0.0/8`) as a matcher. */
function clientMatcher(allowed: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of allowed) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const type = isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    const a = plainAddress(address);
    try {
      return list.check(a, isIPv6(a) ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
  };
}

export async function startSmtpIntake(opts: SmtpIntakeOptions): Promise<SmtpIntake> {
  const { host, port } = opts.listen;
  const auth = opts.auth ?? null;
  const allowed = opts.allowedClients ? clientMatcher(opts.allowedClients) : null;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    size: opts.maxBytes,
    maxClients: opts.maxClients ?? 20,
    disabledCommands: auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    authOptional: !auth,
    authMethods: ['PLAIN', 'LOGIN'],
    // No TLS here: credentials travel in clear, so the README says to use AUTH only on a trusted
    // network or behind a TLS-terminating proxy.
    allowInsecureAuth: !!auth,
    onConnect(session, callback) {
      if (allowed && !allowed(session.remoteAddress)) {
        return callback(replyError(`${plainAddress(session.remoteAddress)} may not send mail here`, 554));
      }
      callback();
    },
    onAuth(credentials, _session, callback) {
      const ok = auth && sameSecret(credentials.username ?? '', auth.user) && sameSecret(credentials.password ?? '', auth.pass);
      if (!ok) return callback(replyError('authentication failed', 535));
      callback(null, { user: credentials.username });
    },
    onRcptTo(address, _session, callback) {
      opts.isOurs(address.address).then(
        (ours) => callback(ours ? undefined : replyError(`<${address.address}>: no such mailbox here, this server only takes mail for the support addresses`, 550)),
        (err: Error) => callback(replyError(`temporary failure checking the recipient: ${err.message}`, 451)),
      );
    },
    onData(stream, _session, callback) {
      void receive(stream).then(
        (raw) => {
          if (raw === 'too-large') return callback(replyError(`message exceeds the size limit of ${opts.maxBytes} bytes`, 552));
          opts.handle(raw, { mailbox: 'smtp', uidValidity: null, uid: null }).then(() => callback(), (err: Error) => callback(failure(err)));
        },
        (err: Error) => callback(failure(err)),
      );
    },
  });

  const failure = (err: Error) => (outOfSpace(err)
    ? replyError('insufficient system storage, try again later', 452)
    : replyError(`temporary failure: ${err.message}`, 451));

  /**
   * Reads the message to its final dot, whatever happens: in memory up to `spoolAbove` bytes, then
   * into a spool. Past the size limit the rest is read and dropped (smtp-server keeps sizeExceeded
   * up to date while the message arrives). A write that fails is reported once the message is read.
   */
  async function receive(stream: Readable): Promise<RawMessage | 'too-large'> {
    const exceeded = () => (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded === true;
    const spoolAbove = opts.spoolAbove ?? SPOOL_BYTES;
    let chunks: Buffer[] = [];
    let held = 0;
    let spool: RawSpool | null = null;
    let dropped = false;
    let error: Error | null = null;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (dropped || error) continue;
        if (exceeded()) {
          dropped = true;
          chunks = [];
          continue;
        }
        try {
          if (!spool && opts.spool && held + chunk.length > spoolAbove) {
            spool = await opts.spool();
            for (const c of chunks) await spool.write(c);
            chunks = [];
          }
          if (spool) await spool.write(chunk);
          else {
            chunks.push(chunk);
            held += chunk.length;
          }
        } catch (err) {
          error = err as Error;
          chunks = [];
        }
      }
    } catch (err) {
      // The connection broke during DATA: nothing is answered, nothing kept.
      await spool?.discard();
      throw err;
    }
    if (dropped || exceeded() || error) {
      await spool?.discard();
      if (error) throw error;
      return 'too-large';
    }
    if (!spool) return Buffer.concat(chunks);
    try {
      return await spool.finish();
    } catch (err) {
      await spool.discard();
      throw err;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A session between messages holds nothing: it is told to come back later (421) and closed
      // now, rather than holding the stop until its bound. One in the middle of a message (from
      // MAIL FROM to the end of DATA) is left to finish.
      for (const connection of server.connections) {
        if (connection.session?.envelope?.mailFrom) continue;
        connection.send(421, 'Server shutting down, try again later');
        connection.close();
      }
    }),
  };
}
