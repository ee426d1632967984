// Guichet's email protocol, the reply address: every notification's Reply-To is a plus variant of
// the support address that names the ticket and carries a token, an HMAC of the ticket, the role
// and the recipient's address under the installation's secret (`support+t12-k3f9…@example.com`).
// A reply sent to it proves that its writer received that notification: it stays bound to its
// ticket when the subject and the threading headers are lost, and it authenticates the sender
// without any help from their mail server. A token made for another address, or guessed, proves
// nothing. 100 bits of HMAC, compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `t` on mail to the client side, `s` on staff alerts: the same token is never valid for both. */
export type TokenRole = 'client' | 'staff';
const ROLE_LETTER: Record<TokenRole, string> = { client: 't', staff: 's' };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_CHARS = 20;
/** The plus key of a reply address; mail programs and relays may change its case. */
const KEY = /^([ts])(\d{1,12})-([a-z2-7]{20})$/i;

function base32(bytes: Buffer, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function token(secret: string, role: TokenRole, ticketNumber: number, recipient: string): string {
  const mac = createHmac('sha256', secret).update(`${ROLE_LETTER[role]}:${ticketNumber}:${recipient.toLowerCase()}`).digest();
  return base32(mac, TOKEN_CHARS);
}

/** The address a recipient answers a ticket's notification at. */
export function replyAddress(supportAddress: string, secret: string, role: TokenRole, ticketNumber: number, recipient: string): string {
  const at = supportAddress.lastIndexOf('@');
  const key = `${ROLE_LETTER[role]}${ticketNumber}-${token(secret, role, ticketNumber, recipient)}`;
  return `${supportAddress.slice(0, at)}+${key}@${supportAddress.slice(at + 1)}`;
}

/** A plus key shaped like a reply token: never a project's key. */
export function isReplyTokenKey(key: string): boolean {
  return KEY.test(key);
}

export type ReplyToken =
  /** Made for this sender: the mail answers this ticket, and the sender is who they say. */
  | { valid: true; role: TokenRole; ticketNumber: number }
  /** Shaped like a token but made for nobody, or for another address: it proves and routes nothing. */
  | { valid: false; ticketNumber: number };

/**
 * The reply token among the mail's recipients, checked against its sender. The first valid one
 * wins; failing that, the first token-shaped address is reported as invalid.
 */
export function readReplyToken(recipients: string[], from: string, supportAddresses: string[], secret: string): ReplyToken | null {
  let invalid: ReplyToken | null = null;
  for (const recipient of recipients) {
    const m = /^([^+@]+)\+([^@]+)@(.+)$/.exec(recipient.toLowerCase());
    if (!m || !supportAddresses.includes(`${m[1]}@${m[3]}`)) continue;
    const key = KEY.exec(m[2]!);
    if (!key) continue;
    const role: TokenRole = key[1]!.toLowerCase() === 's' ? 'staff' : 'client';
    const ticketNumber = Number(key[2]);
    const expected = Buffer.from(token(secret, role, ticketNumber, from));
    const given = Buffer.from(key[3]!.toLowerCase());
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { valid: true, role, ticketNumber };
    invalid ??= { valid: false, ticketNumber };
  }
  return invalid;
}
