// Guichet's own email protocol: the subject tag, the markers it writes and reads back, its addresses,
// mailto links and Message-IDs. Every other module builds on these; a regression here misroutes mail.
import { describe, expect, it } from 'vitest';
import { domainOf, isOurAddress, plusAddress, plusKey } from '../../src/protocol/addresses.ts';
import { mailtoUrl } from '../../src/protocol/mailto.ts';
import {
  actionMarker, findActionMarker, findProjectMarker, isReplyMarker, newActionToken, projectMarker, REPLY_MARKER,
} from '../../src/protocol/markers.ts';
import { mintMessageId } from '../../src/protocol/message-id.ts';
import { cleanSubject, findSubjectTag, formatTag, ticketSubject } from '../../src/protocol/subject.ts';

describe('findSubjectTag', () => {
  const cases: Array<[string, string, number | null]> = [
    ['[#12] Printer on fire', '', 12],
    ['Re: [#12] Printer on fire', '', 12],
    ['RE: TR: [#7] Facture', '', 7],
    ['AW: WG: SV: RV: Réf: Fwd: [#345] x', '', 345],
    ['Re: Printer on fire [#12]', '', 12],
    ['Re: [ # 12 ] spaces inside', '', 12],
    ['About ticket #12', '', null],
    ['Re: issue 12', '', null],
    ['[ACME #99] Down', 'ACME', 99],
    ['Re: [acme #99] Down', 'ACME', 99],
    ['[#99] Down', 'ACME', null],
    ['[OTHER #99] Down', 'ACME', null],
    ['[#] nothing', '', null],
  ];
  it.each(cases)('%s (prefix %s) → %s', (subject, prefix, expected) => {
    expect(findSubjectTag(subject, prefix)).toBe(expected);
  });
});

describe('cleanSubject', () => {
  it.each([
    ['Re: RE: TR: [#7] Facture en retard', 'Facture en retard'],
    ['Fwd: Broken login', 'Broken login'],
    ['AW: Re[2]: Anfrage', 'Anfrage'],
    ['Réf. Totally new', 'Réf. Totally new'],
    ['Regarding the invoice', 'Regarding the invoice'],
    ['[#3]', ''],
  ])('%s → %s', (subject, expected) => {
    expect(cleanSubject(subject)).toBe(expected);
  });
});

describe('formatTag', () => {
  it('formats with and without a prefix, and round-trips through findSubjectTag', () => {
    expect(formatTag(5)).toBe('[#5]');
    expect(formatTag(5, 'ACME')).toBe('[ACME #5]');
    expect(findSubjectTag(`Re: ${formatTag(5, 'ACME')} x`, 'ACME')).toBe(5);
  });
});

describe('ticketSubject', () => {
  it('is the tag and the summary, and the tag is found again after any reply prefix', () => {
    expect(ticketSubject(12, 'Printer on fire')).toBe('[#12] Printer on fire');
    expect(findSubjectTag(`AW: Re: ${ticketSubject(12, 'x', 'ACME')}`, 'ACME')).toBe(12);
    expect(cleanSubject(`Re: ${ticketSubject(12, 'Printer on fire')}`)).toBe('Printer on fire');
  });
});

describe('action markers', () => {
  it('round-trip for the right ticket and token only', () => {
    const token = newActionToken();
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(newActionToken()).not.toBe(token);
    const body = `It works, thanks!\n\n${actionMarker('confirm', 7, token)}`;
    expect(findActionMarker(body, 7, token)).toBe('confirm');
    expect(findActionMarker(actionMarker('still-broken', 7, token), 7, token)).toBe('still-broken');
    expect(findActionMarker(body, 8, token)).toBeNull();
    expect(findActionMarker(body, 7, newActionToken())).toBeNull();
    expect(findActionMarker(body, 7, null)).toBeNull();
    expect(findActionMarker('[confirm #7]', 7, token)).toBeNull();
  });
});

describe('project markers', () => {
  it('name the project and the held message', () => {
    expect(findProjectMarker(`Re: x\n${projectMarker('SHOP', 42)}`)).toEqual({ key: 'SHOP', inboundId: 42 });
    expect(findProjectMarker('[project  #42]')).toBeNull();
    expect(findProjectMarker('no marker')).toBeNull();
  });
});

describe('reply marker', () => {
  it('is recognised as written and as mail programs rewrap it', () => {
    expect(isReplyMarker(REPLY_MARKER)).toBe(true);
    expect(isReplyMarker('> -- Reply above this line')).toBe(true);
    expect(isReplyMarker('Répondez au-dessus de cette ligne')).toBe(true);
    expect(isReplyMarker('Please reply soon')).toBe(false);
  });
});

describe('addresses', () => {
  const ours = ['support@help.test'];
  it('domainOf takes the part after the last @, lower-cased', () => {
    expect(domainOf('Ada@Example.COM')).toBe('example.com');
    expect(domainOf('"a@b"@c.test')).toBe('c.test');
  });
  it('plus addresses are ours, and name a key', () => {
    expect(plusAddress('support@help.test', 'SHOP')).toBe('support+shop@help.test');
    expect(plusKey(['ada@x.test', 'support+shop@help.test'], ours)).toBe('shop');
    expect(plusKey(['support+shop@other.test'], ours)).toBeNull();
    expect(isOurAddress('support@help.test', ours)).toBe(true);
    expect(isOurAddress('Support+Shop@Help.test', ours)).toBe(true);
    expect(isOurAddress('support@help.test.evil', ours)).toBe(false);
    expect(isOurAddress('ada@help.test', ours)).toBe(false);
  });
});

describe('mailto and Message-IDs', () => {
  it('a mailto link encodes its fields and keeps the address readable', () => {
    expect(mailtoUrl('support+shop@help.test', { subject: 'Re: [#1] a&b', body: 'line 1\nline 2' }))
      .toBe('mailto:support+shop@help.test?subject=Re%3A%20%5B%231%5D%20a%26b&body=line%201%0D%0Aline%202');
  });
  it('Message-IDs are unique, under our domain, and name the ticket', () => {
    const a = mintMessageId('help.test', 12, 'ticket-received');
    expect(a).toMatch(/^<ticket-12\.ticket-received\.[0-9a-f-]{36}@help\.test>$/);
    expect(mintMessageId('help.test', 12, 'ticket-received')).not.toBe(a);
    expect(mintMessageId('help.test', null, 'account-pending')).toMatch(/^<account-pending\.[0-9a-f-]{36}@help\.test>$/);
  });
});
