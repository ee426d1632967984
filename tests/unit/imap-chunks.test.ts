import { describe, expect, it } from 'vitest';
import { cutChunks } from '../../src/mail/imap-chunks.ts';

describe('cutChunks', () => {
  const sizes = new Map([[1, 10], [2, 10], [3, 30], [4, 100], [5, 5], [6, 5], [7, 5]]);
  it('cuts by count and by bytes, whichever comes first, keeping UID order', () => {
    expect(cutChunks([1, 2, 3, 4, 5, 6, 7], sizes, 2, 1000)).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
    expect(cutChunks([1, 2, 3, 4, 5, 6, 7], sizes, 200, 50)).toEqual([[1, 2, 3], [4], [5, 6, 7]]);
  });
  it('gives a message larger than the byte bound a chunk of its own, and counts unknown sizes as 0', () => {
    expect(cutChunks([3, 4, 5], sizes, 200, 20)).toEqual([[3], [4], [5]]);
    expect(cutChunks([8, 9], sizes, 200, 1)).toEqual([[8, 9]]);
    expect(cutChunks([], sizes, 200, 1)).toEqual([]);
  });
});
