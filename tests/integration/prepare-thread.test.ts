// The prepare thread on a real worker and real files: the same results as preparing inline, and a
// message that kills the thread fails alone while the rest of its batch, and later batches, go on;
// so does a message whose preparation hangs past limits.parseSeconds.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Prepared } from '../../src/mail/prepare.ts';
import { inlinePreparer, threadPreparer, type Preparer, type PrepareThreadOptions } from '../../src/mail/prepare-thread.ts';
import { sha256 } from '../../src/mail/raw-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-prepare-'));
const opts: PrepareThreadOptions = {
  rawDir: path.join(dir, 'raw'),
  filesDir: path.join(dir, 'attachments'),
  limits: { maxMessageBytes: 64 * 1024 * 1024, maxAttachmentBytes: 1024 * 1024 },
};
const preparers: Preparer[] = [];
afterAll(async () => {
  await Promise.all(preparers.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

const plain = (n: number, extra: string[] = []) =>
  crlf([
    'From: Ada <ada@example.com>',
    'To: support@help.example.test',
    `Subject: Printer ${n}`,
    `Message-ID: <plain-${n}@example.com>`,
    ...extra,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The printer number ${n} is on fire.`,
    '',
  ]);

const htmlWithAttachment = crlf([
  'From: Ada <ada@example.com>',
  'To: support@help.example.test',
  'Subject: Re: [#4] Screenshot',
  'Message-ID: <html-1@example.com>',
  'In-Reply-To: <ticket-4@help.example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>See the screenshot.<script>alert(1)</script></p><blockquote>On Monday, Support wrote:<br>old text</blockquote>',
  '--b',
  'Content-Type: image/png; name="screen.png"',
  'Content-Disposition: attachment; filename="../screen.png"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('not really a png').toString('base64'),
  '--b--',
  '',
]);

describe('prepare thread', () => {
  it('stores the bytes and prepares each message as the inline path does', async () => {
    const thread = threadPreparer(opts);
    preparers.push(thread);
    const raws = [plain(1), htmlWithAttachment];
    const job = thread.run(raws);
    const stored = await job.stored;
    expect(stored.map((s) => s.sha256)).toEqual(raws.map((r) => sha256(r)));
    for (const [i, s] of stored.entries()) expect(readFileSync(path.join(opts.rawDir, s.rawPath))).toEqual(raws[i]);
    expect(stored[0]!.messageId).toBe('<plain-1@example.com>');

    const [first, second] = (await Promise.all(job.prepared)) as [Prepared, Prepared];
    expect(first).toMatchObject({ kind: 'mail', replyText: null, classification: { kind: 'human' }, html: null });
    expect(first.kind === 'mail' && first.bodyText.trim()).toBe('The printer number 1 is on fire.');
    if (second.kind !== 'mail') throw new Error(`expected a prepared mail, got ${JSON.stringify(second)}`);
    expect(second.html).toContain('See the screenshot.');
    expect(second.html).not.toContain('<script');
    expect(second.replyText).toBe('See the screenshot.');
    expect(second.attachments).toEqual([expect.objectContaining({ filename: 'screen.png', contentType: 'image/png', size: 16 })]);
    const file = path.join(opts.filesDir, second.attachments[0]!.sha256.slice(0, 2), second.attachments[0]!.sha256);
    expect(readFileSync(file, 'utf8')).toBe('not really a png');
    // No bodies or attachment bytes cross back: the database stage gets text, HTML and metadata.
    expect(Object.keys(second.mail)).not.toContain('html');
    expect(second.mail.attachments[0]).not.toHaveProperty('content');

    const inline = inlinePreparer(opts).run(raws);
    expect(await inline.stored).toEqual(stored);
    expect(await Promise.all(inline.prepared)).toEqual([first, second]);
  });

  it('fails only the message the thread died on, finishes its batch and the next one, and starts a new thread', async () => {
    const logs: string[] = [];
    const thread = threadPreparer(opts, (m) => logs.push(m), new URL('../support/dying-prepare.worker.mjs', import.meta.url));
    preparers.push(thread);
    const job = thread.run([plain(2), plain(3, ['X-Test: die here']), plain(4)]);
    // Queued behind it when it dies: none of these is the culprit.
    const queued = thread.run([plain(5), plain(6)]);
    const stored = await job.stored;
    expect(stored.every((s) => existsSync(path.join(opts.rawDir, s.rawPath)))).toBe(true);
    const prepared = await Promise.all(job.prepared);
    expect(prepared.map((p) => p.kind)).toEqual(['mail', 'rejected', 'mail']);
    expect(prepared[1]).toMatchObject({ state: 'failed', reason: 'prepare thread stopped on this message: exited with code 70' });
    expect(logs).toEqual(['prepare thread stopped: exited with code 70']);
    await queued.stored;
    expect(await Promise.all(queued.prepared)).toMatchObject([{ kind: 'mail', mail: { subject: 'Printer 5' } }, { kind: 'mail', mail: { subject: 'Printer 6' } }]);

    const next = thread.run([plain(7)]);
    await next.stored;
    expect(await Promise.all(next.prepared)).toMatchObject([{ kind: 'mail', mail: { subject: 'Printer 7' } }]);
  });

  it('fails a message that hangs past limits.parseSeconds, replaces the thread, and prepares the rest once', async () => {
    const logs: string[] = [];
    const budget = { ...opts, limits: { ...opts.limits, parseSeconds: 0.5 } };
    const thread = threadPreparer(budget, (m) => logs.push(m), new URL('../support/hanging-prepare.worker.mjs', import.meta.url));
    preparers.push(thread);
    // Loaded first: the clock starts when the thread begins a batch, not when it was posted.
    thread.warm();
    const job = thread.run([plain(10), plain(11, ['X-Test: hang here']), plain(12), plain(13, ['X-Test: hang here']), plain(14)]);
    const queued = thread.run([plain(15)]);
    const first = await job.prepared[0]!;
    // The hanging message's clock started when the one before it was reported.
    const t0 = performance.now();
    expect(first).toMatchObject({ kind: 'mail', mail: { subject: 'Printer 10' } });
    const hung = await job.prepared[1]!;
    const waited = performance.now() - t0;
    expect(hung).toEqual({ kind: 'rejected', state: 'failed', reason: 'preparing took longer than 0.5 s (limits.parseSeconds)' });
    // About the budget: not the whole batch's time, not forever.
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(2500);
    const stored = await job.stored;
    expect(stored.every((s) => existsSync(path.join(budget.rawDir, s.rawPath)))).toBe(true);
    // The rest goes to a new thread, under the same budget: the second hanging message fails alone too.
    const prepared = await Promise.all(job.prepared);
    expect(prepared.map((p) => (p.kind === 'mail' ? p.mail.subject : p.reason))).toEqual([
      'Printer 10',
      'preparing took longer than 0.5 s (limits.parseSeconds)',
      'Printer 12',
      'preparing took longer than 0.5 s (limits.parseSeconds)',
      'Printer 14',
    ]);
    expect(logs).toEqual([
      'prepare thread stopped: preparing took longer than 0.5 s (limits.parseSeconds)',
      'prepare thread stopped: preparing took longer than 0.5 s (limits.parseSeconds)',
    ]);
    await queued.stored;
    expect(await Promise.all(queued.prepared)).toMatchObject([{ kind: 'mail', mail: { subject: 'Printer 15' } }]);

    // A later batch runs on a fresh thread, within the budget, and nothing is reported twice.
    const t1 = performance.now();
    const next = thread.run([plain(16), plain(17)]);
    await next.stored;
    expect(await Promise.all(next.prepared)).toMatchObject([{ kind: 'mail', mail: { subject: 'Printer 16' } }, { kind: 'mail', mail: { subject: 'Printer 17' } }]);
    expect(performance.now() - t1).toBeLessThan(5000);
    expect(logs).toHaveLength(2);
  });

  it('does not count the thread loading, or the batch as a whole, against a message', async () => {
    // Not warmed: loading the thread takes longer than this budget, and so may the batch of 40.
    const logs: string[] = [];
    const thread = threadPreparer({ ...opts, limits: { ...opts.limits, parseSeconds: 0.5 } }, (m) => logs.push(m));
    preparers.push(thread);
    const raws = Array.from({ length: 40 }, (_, i) => plain(100 + i));
    const job = thread.run(raws);
    await job.stored;
    const prepared = await Promise.all(job.prepared);
    expect(prepared.every((p) => p.kind === 'mail')).toBe(true);
    expect(logs).toEqual([]);
  });
});
