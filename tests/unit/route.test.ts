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
