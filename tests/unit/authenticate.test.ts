// Which Authentication-Results headers are believed, and what they say of a From address. The
// attacker writes everything below the trusted server's own stamp, including headers claiming to be
// that server's verdict; these cases put such claims in every place a message can carry them.
import { describe, expect, it } from 'vitest';
import { aligned, parseAuthenticationResults, verdictOf } from '../../src/mail/authenticate.ts';
import type { TraceHeader } from '../../src/mail/types.ts';

const ar = (value: string): TraceHeader => ({ name: 'authentication-results', value });
const rcv = (value: string): TraceHeader => ({ name: 'received', value });
const TRUSTED = ['mx.help.test'];
const entry = rcv('from mail.client.test (mail.client.test [192.0.2.7]) by mx.help.test with ESMTPS id 4F2; Mon, 2 Mar 2026 10:00:00 +0000');

describe('parseAuthenticationResults', () => {
  it('reads the authserv-id, each method, its result and properties, without comments', () => {
    const parsed = parseAuthenticationResults(
      'mx.help.test (Postfix) 1; dkim=pass (2048-bit key; unprotected) header.d=Client.test header.s=s1 header.b="AbC;d";\r\n spf=softfail (domain of x) smtp.mailfrom=x@y.test; dmarc=pass (p=REJECT) header.from=client.test',
    );
    expect(parsed).toEqual({
      authservId: 'mx.help.test',
      results: [
        { method: 'dkim', result: 'pass', props: { 'header.d': 'client.test', 'header.s': 's1', 'header.b': 'abc;d' } },
        { method: 'spf', result: 'softfail', props: { 'smtp.mailfrom': 'x@y.test' } },
        { method: 'dmarc', result: 'pass', props: { 'header.from': 'client.test' } },
      ],
    });
  });

  it('reads "none" as no result', () => {
    expect(parseAuthenticationResults('mx.help.test; none')).toEqual({ authservId: 'mx.help.test', results: [] });
  });
});

describe('verdictOf', () => {
  it('believes DMARC pass stamped by a trusted server', () => {
    expect(verdictOf('ada@client.test', [ar('mx.help.test; dmarc=pass header.from=client.test'), entry], TRUSTED)).toEqual({ result: 'pass', how: 'dmarc=pass (mx.help.test)' });
  });

  it('believes an aligned DKIM pass, a parent domain included, but not another domain\'s signature', () => {
    expect(verdictOf('ada@eu.client.test', [ar('mx.help.test; dkim=pass header.d=client.test'), entry], TRUSTED).result).toBe('pass');
    expect(verdictOf('ada@client.test', [ar('mx.help.test; dkim=pass header.d=mailer.example'), entry], TRUSTED).result).toBe('none');
    expect(verdictOf('ada@client.test', [ar('mx.help.test; dkim=pass header.i=@client.test'), entry], TRUSTED).result).toBe('pass');
  });

  it('reports a DMARC fail for the From domain, before any DKIM pass', () => {
    const v = verdictOf('ada@client.test', [ar('mx.help.test; dkim=pass header.d=client.test; dmarc=fail (p=reject) header.from=client.test'), entry], TRUSTED);
    expect(v).toEqual({ result: 'fail', how: 'dmarc=fail for client.test (mx.help.test)' });
  });

  it('ignores a verdict about another From domain', () => {
    expect(verdictOf('ada@client.test', [ar('mx.help.test; dmarc=pass header.from=evil.test'), entry], TRUSTED).result).toBe('none');
  });

  it('ignores servers it does not trust', () => {
    expect(verdictOf('ada@client.test', [ar('mx.evil.test; dmarc=pass header.from=client.test'), entry], TRUSTED).result).toBe('none');
    expect(verdictOf('ada@client.test', [ar('mx.help.test; dmarc=pass header.from=client.test')], []).result).toBe('none');
  });

  it('ignores a claim of the trusted name below a hop the trusted server did not stamp', () => {
    const forged = [entry, rcv('from laptop by smtp.evil.test; Mon, 2 Mar 2026 09:59:00 +0000'), ar('mx.help.test; dmarc=pass header.from=client.test')];
    expect(verdictOf('ada@client.test', forged, TRUSTED).result).toBe('none');
  });

  it('reads the topmost verdict of each method: a claim below the real stamp loses', () => {
    const trace = [ar('mx.help.test; dmarc=fail header.from=client.test'), entry, ar('mx.help.test; dmarc=pass header.from=client.test')];
    expect(verdictOf('ada@client.test', trace, TRUSTED).result).toBe('fail');
  });

  it('keeps going through hops inside the trusted server (no from clause)', () => {
    const trace = [rcv('by 2002:a05:6a10:1234 with SMTP id x; Mon, 2 Mar 2026 10:00:01 +0000'), entry, ar('mx.help.test; dmarc=pass header.from=client.test')];
    expect(verdictOf('ada@client.test', trace, TRUSTED).result).toBe('pass');
  });

  it('is not fooled by a comment or a quoted string hiding the real authserv-id', () => {
    expect(verdictOf('ada@client.test', [ar('(mx.help.test) mx.evil.test; dmarc=pass header.from=client.test'), entry], TRUSTED).result).toBe('none');
  });
});

describe('aligned', () => {
  it('is the domain or a parent of it with two labels at least', () => {
    expect(aligned('client.test', 'client.test')).toBe(true);
    expect(aligned('mail.client.test', 'client.test')).toBe(true);
    expect(aligned('client.test', 'mail.client.test')).toBe(false);
    expect(aligned('client.test', 'test')).toBe(false);
    expect(aligned('notclient.test', 'client.test')).toBe(false);
  });
});
