// Address strings crafted so that a person, or a naive parser, reads one address while the mail's
// route says another. None of them may make a stranger pass for ceo@corp.com (a contact), nor make
// Guichet write to ceo@corp.com when the header does not name that mailbox. mailparser's own copy
// of nodemailer is held to the project's nodemailer (package.json `overrides`), whose address
// parser reads `ceo@corp.com (x).evil.com` as the evil.com address it is.
import { describe, expect, it } from 'vitest';
import { domainOf } from '../../src/protocol/addresses.ts';
import { parseMail } from '../../src/mail/parse.ts';

const VICTIM = 'ceo@corp.com';
const mail = (from: string, cc = 'nobody@example.com') => Buffer.from(`From: ${from}\r\nTo: support@help.test\r\nCc: ${cc}\r\nSubject: hi\r\n\r\nx\r\n`);

const hostile: Array<[string, string]> = [
  ['a comment after the address that continues its domain', 'ceo@corp.com (x).evil.com'],
  ['the same, folded over two lines', 'ceo@corp.com\r\n (folded).evil.com'],
  ['the victim as the display name', '"ceo@corp.com" <attacker@evil.com>'],
  ['the victim as an encoded display name', '=?utf-8?Q?ceo=40corp.com?= <attacker@evil.com>'],
  ['the victim as a quoted local part', '"ceo@corp.com"@evil.com'],
  ['two @ signs', 'ceo@corp.com@evil.com'],
  ['the victim in punycode look-alike', 'ceo@xn--crp-0na.com'],
  ['an encoded word hiding angle brackets', '=?utf-8?B?PGNlb0Bjb3JwLmNvbT4=?= <attacker@evil.com>'],
];

describe('hostile From and Cc addresses', () => {
  it.each(hostile)('%s: %s', async (_name, header) => {
    const parsed = await parseMail(mail(header, header));
    const from = parsed.from?.address ?? null;
    expect(from).not.toBe(VICTIM);
    if (from) expect(domainOf(from)).not.toBe('corp.com');
    expect(parsed.cc.map((a) => a.address)).not.toContain(VICTIM);
  });

  it('reads an internationalised domain and its punycode as one address, in ASCII', async () => {
    const unicode = await parseMail(mail('Ada <ada@bücher.example>'));
    const ascii = await parseMail(mail('Ada <ADA@xn--bcher-kva.example>'));
    expect(unicode.from?.address).toBe('ada@xn--bcher-kva.example');
    expect(ascii.from?.address).toBe('ada@xn--bcher-kva.example');
  });

  it('counts every From address: two headers, or two mailboxes in one, are nobody', async () => {
    expect((await parseMail(mail('ceo@corp.com, attacker@evil.com'))).fromCount).toBe(2);
    const twoHeaders = Buffer.from('From: attacker@evil.com\r\nFrom: ceo@corp.com\r\nTo: support@help.test\r\nSubject: hi\r\n\r\nx\r\n');
    expect((await parseMail(twoHeaders)).fromCount).toBe(2);
    expect((await parseMail(mail('ceo@corp.com'))).fromCount).toBe(1);
  });

  it('still reads the plain forms right', async () => {
    for (const header of ['ceo@corp.com', 'CEO <CEO@Corp.COM>', '"Chief, Executive" <ceo@corp.com>', 'ceo@corp.com (Chief)']) {
      expect((await parseMail(mail(header))).from?.address).toBe(VICTIM);
    }
  });
});
