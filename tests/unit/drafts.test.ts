import { describe, expect, it } from 'vitest';
import { fillSavedReply } from '../../src/tickets/drafts.ts';

describe('fillSavedReply', () => {
  it('fills the name and the number', () => {
    expect(fillSavedReply('Hello {{name}}, about #{{ number }}:', { name: 'Ada', number: 12 })).toBe('Hello Ada, about #12:');
  });
  it('drops the name and its space when there is none, and nothing else', () => {
    expect(fillSavedReply('Hello {{name}}, it costs 5 . Bye', { name: null, number: 1 })).toBe('Hello, it costs 5 . Bye');
  });
});
