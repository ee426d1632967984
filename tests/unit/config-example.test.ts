// config.example.json is the documented reference: it must stay valid and name every key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';

describe('config.example.json', () => {
  const example = JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));

  it('is a valid configuration', () => {
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('shows every top-level key of the schema', () => {
    const documented = Object.keys(example);
    const parsed = parseConfig(example) as Record<string, unknown>;
    for (const key of Object.keys(parsed).filter((k) => k !== 'demo' && k !== 'configPath')) {
      expect(documented, `config.example.json lacks "${key}"`).toContain(key);
    }
  });
});
