import { describe, expect, it } from 'vitest';
import { createMetrics, type Levels } from '../../src/metrics.ts';

const levels = (mailbox: Levels['mailbox']): Levels => ({
  outbox: { pending: 0, oldestPendingSeconds: 0, failed: 0 }, inbound: {}, relayStalled: false, mailbox, database: true,
});

describe('metrics', () => {
  it('reports the mailbox only while this process reads it: no stale series once another took the lead', async () => {
    let now = levels({ name: 'INBOX', connected: true, lastPollAt: new Date('2026-11-29T10:00:00Z') });
    const metrics = createMetrics(async () => now);
    expect(await metrics.render()).toMatch(/guichet_mailbox_connected\{mailbox="INBOX"\} 1/);
    now = levels(null);
    const after = await metrics.render();
    expect(after).not.toMatch(/guichet_mailbox_connected\{/);
    expect(after).not.toMatch(/guichet_mailbox_last_poll_timestamp_seconds\{/);
  });
});
