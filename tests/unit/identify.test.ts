import { describe, expect, it } from 'vitest';
import { declaredLanguage } from '../../src/accounts/identify.ts';

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
