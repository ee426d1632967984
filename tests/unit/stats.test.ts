import { describe, expect, it } from 'vitest';
import { lastWeeks, median, weekOf } from '../../src/tickets/stats.ts';

describe('dashboard arithmetic', () => {
  it('names a week by its Monday (UTC)', () => {
    expect(weekOf('2026-11-29')).toBe('2026-11-23'); // a Sunday
    expect(weekOf('2026-11-23')).toBe('2026-11-23');
    expect(weekOf('2026-01-01')).toBe('2025-12-29');
  });

  it('lists the last weeks oldest first, this week last', () => {
    expect(lastWeeks(new Date('2026-11-29T12:00:00Z'), 3)).toEqual(['2026-11-09', '2026-11-16', '2026-11-23']);
  });

  it('takes the median of an odd or even count, and none of nothing', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
