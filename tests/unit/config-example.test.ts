// config.example.json is the documented reference: it must stay valid and name every key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, parseConfig } from '../../src/config.ts';

describe('config.example.json', () => {
  const example = JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));

  it('is a valid configuration', () => {
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('shows every top-level key of the schema', () => {
    const documented = Object.keys(example);
    expect(CONFIG_KEYS).toContain('smtp');
    for (const key of CONFIG_KEYS) {
      expect(documented, `config.example.json lacks "${key}"`).toContain(key);
    }
  });
});
