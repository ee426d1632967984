// Stage "authenticate", the part that needs the network: where the configuration asks for it
// (authentication.verifyDkim), Guichet checks the message's DKIM signatures itself, with mailauth,
// for mail whose receiving server writes no verdict Guichet trusts. Only a signature aligned with
// the From domain counts (authenticate.ts `aligned`). A DMARC fail is never concluded here: without
// the SPF check of the receiving server, a missing signature proves nothing against the sender.
// The DNS resolver is passed in, so tests verify real signatures against their own records.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { dkimVerify, type DNSResolver } from 'mailauth';
import { domainOf } from '../protocol/addresses.ts';
import { aligned } from './authenticate.ts';
import type { Preparer } from './prepare-thread.ts';
import { isSpooled } from './raw-store.ts';

export type DnsResolver = DNSResolver;

/** The aligned signature that verified, in words; null when none did (or the check failed). */
export async function verifyDkim(raw: Buffer | Readable, from: string, resolver?: DnsResolver): Promise<string | null> {
  try {
    const { results } = await dkimVerify(raw, { resolver, minBitLength: 1024 });
    const fromDomain = domainOf(from);
    const pass = results.find((r) => r.status.result === 'pass' && aligned(fromDomain, r.signingDomain ?? ''));
    return pass ? `dkim=pass header.d=${pass.signingDomain} (verified by Guichet)` : null;
  } catch {
    return null;
  }
}

/**
 * The preparer's messages with DKIM's verdict added, on the main thread: the lookups are I/O, the
 * signature checks cheap next to the parse. A batch is applied once all of it is verified. A large
 * message (spooled) is read from its file under rawDir, as a stream.
 */
export function withDkim(inner: Preparer, rawDir: string, resolver?: DnsResolver): Preparer {
  return {
    run(raws) {
      const job = inner.run(raws);
      const prepared = job.prepared.map((p, i) =>
        p.then(async (mail) => {
          if (mail.kind !== 'mail' || !mail.mail.from) return mail;
          const raw = raws[i]!;
          const input = isSpooled(raw) ? createReadStream(path.join(rawDir, raw.spooled.rawPath)) : raw;
          return { ...mail, dkim: { pass: await verifyDkim(input, mail.mail.from.address, resolver) } };
        }),
      );
      return { stored: job.stored, prepared };
    },
    warm: () => inner.warm(),
    close: () => inner.close(),
  };
}
