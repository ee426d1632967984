// The loop header is how Guichet knows its own mail when nothing else gives it away (a Message-ID
// rewritten, a From changed by a forwarding rule): a false negative is a mail loop, a false positive
// silences a person.
import { describe, expect, it } from 'vitest';
import { carriesOurLoopHeader, LOOP_HEADER, loopHeaderValue } from '../../src/protocol/loop-header.ts';

describe('carriesOurLoopHeader', () => {
  const domain = 'help.example.com';
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['our header', { 'x-guichet-loop': 'help.example.com' }, true],
    ['case and spaces differ', { 'x-guichet-loop': '  HELP.Example.COM ' }, true],
    ['angle brackets and a trailing dot', { 'x-guichet-loop': '<help.example.com.>' }, true],
    ['repeated, ours second', { 'x-guichet-loop': 'support.other.org, help.example.com' }, true],
    ['repeated, ours first', { 'x-guichet-loop': 'help.example.com, support.other.org' }, true],
    ['another installation', { 'x-guichet-loop': 'support.other.org' }, false],
    ['a subdomain of ours is another installation', { 'x-guichet-loop': 'eu.help.example.com' }, false],
    ['our domain inside a longer value', { 'x-guichet-loop': 'help.example.com.evil.test' }, false],
    ['empty value', { 'x-guichet-loop': '' }, false],
    ['no header', { subject: 'help.example.com', 'x-loop': 'help.example.com' }, false],
    ['our domain elsewhere only', { 'message-id': '<ticket-1.x@help.example.com>' }, false],
  ];
  it.each(cases)('%s', (_label, headers, expected) => {
    expect(carriesOurLoopHeader(headers, domain)).toBe(expected);
  });

  it('reads the domain it is given case-insensitively', () => {
    expect(carriesOurLoopHeader({ 'x-guichet-loop': 'help.example.com' }, 'Help.Example.com')).toBe(true);
    expect(carriesOurLoopHeader({ 'x-guichet-loop': '' }, '')).toBe(false);
  });

  it('recognises the value Guichet writes under the name it writes', () => {
    const written = { [LOOP_HEADER.toLowerCase()]: loopHeaderValue('Help.Example.com') };
    expect(LOOP_HEADER).toBe('X-Guichet-Loop');
    expect(carriesOurLoopHeader(written, domain)).toBe(true);
  });
});
