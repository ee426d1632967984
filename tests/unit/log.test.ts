// The shape of a log line: one JSON object per line for a collector (level by name, ISO time, the
// message, and the caller's fields as fields), the same line readable at a terminal, and the choice
// between the two.
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, prettyLine } from '../../src/logger.ts';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const log = createLogger({ format, write: (s) => lines.push(s) });
  return { log, lines };
}

describe('log lines', () => {
  it('are one JSON object a line, with the message and its fields', () => {
    const { log, lines } = capture('json');
    log('info', 'inbound 12: processed ticket #3', { inboundId: 12, messageId: '<a@example.com>', state: 'processed', outcome: 'ticket', ticket: 3 });
    log('warn', 'inbound 13: processing failed: boom', { inboundId: 13, messageId: null, state: 'failed', outcome: 'processing failed: boom', ticket: null });
    log('error', 'outbox paused');

    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    const [first, second, third] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: 'info', msg: 'inbound 12: processed ticket #3', inboundId: 12, messageId: '<a@example.com>', state: 'processed', outcome: 'ticket', ticket: 3 });
    expect(new Date(first.time).toISOString()).toBe(first.time);
    expect(first.pid).toBe(process.pid); // several processes on one database write to one collector
    expect(second).toMatchObject({ level: 'warn', inboundId: 13, ticket: null });
    expect(third).toMatchObject({ level: 'error', msg: 'outbox paused' });
  });

  it('read as time, level, message and key=value at a terminal', () => {
    const { log, lines } = capture('pretty');
    log('info', 'inbound 12: processed ticket #3', { inboundId: 12, messageId: '<a@example.com>', outcome: 'quarantined: not a participant', ticket: 3, missing: null });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  inbound 12: processed ticket #3  inboundId=12 messageId=<a@example.com> outcome="quarantined: not a participant" ticket=3\n$/,
    );
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('are JSON unless a terminal reads them, and GUICHET_LOG_FORMAT decides when set', () => {
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ GUICHET_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ GUICHET_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logFormat({ GUICHET_LOG_FORMAT: 'bogus' }, false)).toBe('json');
  });
});
