import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isReplyTokenKey, readReplyToken, replyAddress } from '../../src/protocol/reply-token.ts';

const SECRET = 'k'.repeat(40);
const OURS = ['support@help.test'];

describe('reply tokens', () => {
  it('binds a reply to its ticket and its recipient', () => {
    const address = replyAddress('support@help.test', SECRET, 'client', 12, 'Ada@Client.test');
    expect(address).toMatch(/^support\+t12-[a-z2-7]{20}@help\.test$/);
    expect(readReplyToken([address], 'ada@client.test', OURS, SECRET)).toEqual({ valid: true, role: 'client', ticketNumber: 12 });
    // Relays may change the case of the local part.
    expect(readReplyToken([address.toUpperCase()], 'ada@client.test', OURS, SECRET)).toEqual({ valid: true, role: 'client', ticketNumber: 12 });
  });

  it('proves nothing for another sender, another ticket, another role or another key', () => {
    const address = replyAddress('support@help.test', SECRET, 'client', 12, 'ada@client.test');
    expect(readReplyToken([address], 'eve@client.test', OURS, SECRET)).toEqual({ valid: false, ticketNumber: 12 });
    expect(readReplyToken([address.replace('+t12-', '+t13-')], 'ada@client.test', OURS, SECRET)).toEqual({ valid: false, ticketNumber: 13 });
    expect(readReplyToken([address.replace('+t12-', '+s12-')], 'ada@client.test', OURS, SECRET)).toEqual({ valid: false, ticketNumber: 12 });
    expect(readReplyToken([address], 'ada@client.test', OURS, 'x'.repeat(40))).toEqual({ valid: false, ticketNumber: 12 });
    expect(readReplyToken([address.replace('help.test', 'other.test')], 'ada@client.test', OURS, SECRET)).toBeNull();
  });

  it('finds the token among other recipients, a valid one first', () => {
    const forged = 'support+t12-aaaaaaaaaaaaaaaaaaaa@help.test';
    const staff = replyAddress('support@help.test', SECRET, 'staff', 12, 'paul@help.test');
    expect(readReplyToken(['x@y.test', forged, staff], 'paul@help.test', OURS, SECRET)).toEqual({ valid: true, role: 'staff', ticketNumber: 12 });
  });

  it('no random token is valid (100 bits)', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z2-7]{20}$/), fc.integer({ min: 1, max: 99999 }), (token, n) => {
      const r = readReplyToken([`support+t${n}-${token}@help.test`], 'ada@client.test', OURS, SECRET);
      return r !== null && r.valid === false;
    }), { numRuns: 2000 });
  });

  it('a token-shaped plus key is never a project key', () => {
    expect(isReplyTokenKey('t12-abcdefghijklmnopqrst')).toBe(true);
    expect(isReplyTokenKey('shop')).toBe(false);
  });
});
