import { describe, expect, it } from 'vitest';
import { routeMessage, type RouteLookups } from '../../src/mail/route.ts';

describe('routeMessage', () => {
  const lookups = (tickets: number[], refs: Record<string, number>): RouteLookups => ({
    ticketExists: async (n) => tickets.includes(n),
    ticketForMessageIds: async (ids) => {
      for (const id of ids) if (refs[id] !== undefined) return refs[id]!;
      return null;
    },
  });

  it('follows an existing tag', async () => {
    expect(await routeMessage({ tokenTicket: null, subject: 'RE: TR: [#4] x', inReplyTo: [], references: [] }, lookups([4], {}))).toEqual({ kind: 'reply', number: 4, via: 'subject' });
  });

  it('falls back to In-Reply-To when the tag was removed', async () => {
    const r = await routeMessage({ tokenTicket: null, subject: 'Re: x', inReplyTo: ['<a@guichet>'], references: [] }, lookups([4], { '<a@guichet>': 4 }));
    expect(r).toEqual({ kind: 'reply', number: 4, via: 'headers' });
  });

  it('prefers the newest reference', async () => {
    const r = await routeMessage(
      { tokenTicket: null, subject: 'x', inReplyTo: [], references: ['<old@x>', '<new@x>'] },
      lookups([1, 2], { '<old@x>': 1, '<new@x>': 2 }),
    );
    expect(r).toEqual({ kind: 'reply', number: 2, via: 'headers' });
  });

  it('opens a new ticket, naming the unknown tag, when the tagged ticket does not exist', async () => {
    expect(await routeMessage({ tokenTicket: null, subject: '[#999] x', inReplyTo: [], references: [] }, lookups([1], {}))).toEqual({ kind: 'new', unknownTag: 999 });
  });

  it('follows a valid reply token before the subject and the headers', async () => {
    const r = await routeMessage({ tokenTicket: 7, subject: 'Re: [#4] x', inReplyTo: ['<a@guichet>'], references: [] }, lookups([4, 7], { '<a@guichet>': 4 }));
    expect(r).toEqual({ kind: 'reply', number: 7, via: 'token' });
  });

  it('falls back to the subject when the token names no ticket', async () => {
    expect(await routeMessage({ tokenTicket: 99, subject: 'Re: [#4] x', inReplyTo: [], references: [] }, lookups([4], {}))).toEqual({ kind: 'reply', number: 4, via: 'subject' });
  });

  it('opens a new ticket for an unrelated message', async () => {
    expect(await routeMessage({ tokenTicket: null, subject: 'Hello #4', inReplyTo: ['<zzz@x>'], references: [] }, lookups([4], {}))).toEqual({ kind: 'new', unknownTag: null });
  });
});
