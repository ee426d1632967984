import { describe, expect, it } from 'vitest';
import { cleanSubject, findSubjectTag, formatTag, routeMessage, type RouteLookups } from '../../src/mail/route.ts';

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

describe('routeMessage', () => {
  const lookups = (tickets: number[], refs: Record<string, number>): RouteLookups => ({
    ticketExists: async (n) => tickets.includes(n),
    ticketForMessageIds: async (ids) => {
      for (const id of ids) if (refs[id] !== undefined) return refs[id]!;
      return null;
    },
  });

  it('follows an existing tag', async () => {
    expect(await routeMessage({ subject: 'RE: TR: [#4] x', inReplyTo: [], references: [] }, lookups([4], {}))).toEqual({ kind: 'reply', number: 4, via: 'subject' });
  });

  it('falls back to In-Reply-To when the tag was removed', async () => {
    const r = await routeMessage({ subject: 'Re: x', inReplyTo: ['<a@guichet>'], references: [] }, lookups([4], { '<a@guichet>': 4 }));
    expect(r).toEqual({ kind: 'reply', number: 4, via: 'headers' });
  });

  it('prefers the newest reference', async () => {
    const r = await routeMessage(
      { subject: 'x', inReplyTo: [], references: ['<old@x>', '<new@x>'] },
      lookups([1, 2], { '<old@x>': 1, '<new@x>': 2 }),
    );
    expect(r).toEqual({ kind: 'reply', number: 2, via: 'headers' });
  });

  it('opens a new ticket, naming the unknown tag, when the tagged ticket does not exist', async () => {
    expect(await routeMessage({ subject: '[#999] x', inReplyTo: [], references: [] }, lookups([1], {}))).toEqual({ kind: 'new', unknownTag: 999 });
  });

  it('opens a new ticket for an unrelated message', async () => {
    expect(await routeMessage({ subject: 'Hello #4', inReplyTo: ['<zzz@x>'], references: [] }, lookups([4], {}))).toEqual({ kind: 'new', unknownTag: null });
  });
});
