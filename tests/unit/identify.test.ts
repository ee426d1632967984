import { describe, expect, it } from 'vitest';
import { declaredLanguage, domainOf } from '../../src/mail/identify.ts';

describe('declaredLanguage', () => {
  it.each([
    [{ 'content-language': 'fr-FR' }, 'fr'],
    [{ 'accept-language': 'fr-FR, en-US' }, 'fr'],
    [{ 'content-language': 'en-GB' }, 'en'],
    [{ 'content-language': 'de-DE' }, null],
    [{}, null],
  ] as const)('%o → %s', (headers, expected) => {
    expect(declaredLanguage(headers as Record<string, string>)).toBe(expected);
  });
});

describe('domainOf', () => {
  it('takes the part after the last @, lower-cased', () => {
    expect(domainOf('Ada@Example.COM')).toBe('example.com');
    expect(domainOf('"a@b"@c.test')).toBe('c.test');
  });
});
