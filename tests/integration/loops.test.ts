// No mail loops, through the real pipeline (Dovecot in, smtp-server out) on both engines, with a clock
// the test moves: whatever Guichet sends on its own is bounded per recipient address (3 in 10
// minutes, 10 in a day by default), so a responder that looks human — no automatic header, a fresh
// mail every time — cannot keep a loop going; its mail is still taken, and the ticket says the
// answer was withheld. Mail carrying a staff member's action goes whatever the budget. Every mail
// Guichet sends names its installation in X-Guichet-Loop.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createGuichet, type Guichet } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { issueStaffToken } from '../../src/http/auth.ts';
import type { LogLevel } from '../../src/log.ts';
import { carriesOurLoopHeader } from '../../src/protocol/loop-header.ts';
import type { TestEngine } from '../support/databases.ts';
import type { Dovecot } from '../support/dovecot.ts';
import { API_TOKEN, clientMail, SUPPORT } from '../support/guichet.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import type { Captured, SmtpSink } from '../support/smtp-sink.ts';
import { waitUntil } from '../support/wait.ts';

const suite = await mailSuite('mail loops', { enginesAtOnce: true });

const MINUTE = 60_000;
// Ahead of the real clock: what the HTTP API stamps with the real time is due at once here.
const START = Date.parse('2030-01-01T08:00:00.000Z');
const AGENT = 'agent@help.example.test';

/** A Guichet on its own mailbox whose clock only moves when the test says so. */
interface Clocked {
  g: Guichet;
  /** Minutes since START. */
  at(minutes: number): void;
  /** Delivers one message and waits until it is applied and everything it queued is sent. */
  round(raw: string): Promise<Captured[]>;
  /** Waits until everything queued is sent; returns what the sink got since the last look. */
  sent(): Promise<Captured[]>;
  logs: Array<{ level: LogLevel; msg: string }>;
  stop(): Promise<void>;
}

let boxes = 0;

async function startClocked(engine: TestEngine, dovecot: Dovecot, sink: SmtpSink, overrides: Record<string, unknown> = {}): Promise<Clocked> {
  const box = `L${process.pid}x${++boxes}`;
  const c = await dovecot.connect();
  await c.mailboxCreate(box).catch(() => {});
  await c.logout();
  let clock = new Date(START);
  const logs: Clocked['logs'] = [];
  const config = parseConfig({
    database: { url: await engine.freshUrl() },
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'guichet-data-')),
    support: { address: SUPPORT, name: 'Example Support' },
    admin: { listen: '127.0.0.1:0', apiToken: API_TOKEN },
    imap: { url: dovecot.url.replace(/INBOX$/, box), pollCron: '0 0 1 1 *' },
    smtp: { url: sink.url },
    outbox: { backoffSeconds: 1 },
    intake: { unknownSenders: 'accept' },
    ...overrides,
  });
  const g = await createGuichet(config, { log: (level, msg) => logs.push({ level, msg }), now: () => clock });
  await g.start({ listen: false });
  await g.database.db.insertInto('staff').values({
    email: AGENT, name: 'Agnès', password_hash: 'x', role: 'agent', active: 1, created_at: clock.toISOString(),
  }).execute();
  let delivered = 0;
  let seen = sink.messages.length;
  return {
    g, logs,
    at(minutes) {
      const next = new Date(START + minutes * MINUTE);
      if (next < clock) throw new Error('the clock only moves forward');
      clock = next;
    },
    async round(raw) {
      await dovecot.append(raw, box);
      delivered++;
      await waitUntil(async () => {
        const rows = await g.database.db.selectFrom('inbound_message').select('state').execute();
        return rows.filter((r) => r.state !== 'pending').length >= delivered;
      }, `${delivered} applied messages`);
      return drained();
    },
    sent: () => drained(),
    stop: () => g.stop(),
  };

  /** Everything queued so far is sent (the sink holds a message before it answers 250). */
  async function drained(): Promise<Captured[]> {
    await waitUntil(async () => {
      const pending = await g.database.db.selectFrom('outbox').select('id').where('state', '=', 'pending').execute();
      return pending.length === 0;
    }, 'an empty outbox');
    await g.outbox.idle();
    const fresh = sink.messages.slice(seen);
    seen = sink.messages.length;
    return fresh;
  }
}

const tokens = new WeakMap<Guichet, string>();

/** The agent's own API token, made on first use: the API acts as whoever holds it. */
async function agentToken(g: Guichet): Promise<string> {
  if (!tokens.has(g)) {
    const staff = await g.database.db.selectFrom('staff').select('id').where('email', '=', AGENT).executeTakeFirstOrThrow();
    tokens.set(g, (await issueStaffToken(g.database.db, staff.id, 'loops test', new Date())).token);
  }
  return tokens.get(g)!;
}

async function api(g: Guichet, method: string, url: string, body: unknown) {
  const res = await g.http.request(`/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${await agentToken(g)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const to = (address: string) => (m: Captured) => m.envelope.to.includes(address);

/** Mail received at each minute; checks no 10-minute window and no day holds more than the budget. */
function expectWithinBudget(received: number[], per10: number, perDay: number) {
  for (const t of received) {
    expect(received.filter((r) => r > t - 10 && r <= t).length, `in the 10 minutes up to minute ${t}`).toBeLessThanOrEqual(per10);
    expect(received.filter((r) => r > t - 24 * 60 && r <= t).length, `in the day up to minute ${t}`).toBeLessThanOrEqual(perDay);
  }
}

/** A fast burst (every 30 s for 4 minutes), then a round every 2 minutes for an hour, then one a day later. */
const SCHEDULE = [
  ...Array.from({ length: 8 }, (_, i) => i * 0.5),
  ...Array.from({ length: 29 }, (_, i) => 4 + i * 2),
  24 * 60 + 90,
];

suite('mail loops on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Clocked | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
  });

  it('answers a human-looking autoresponder at most 3 times in 10 minutes and 10 times a day, and takes every one of its mails', async () => {
    // Past intake.maxNewTicketsPerDay a sender's new mail is held instead (another bound, tested on
    // its own): lifted here so every round opens a ticket and only the mail budget is at work.
    p = await startClocked(engine, peers.dovecot, peers.sink, { intake: { unknownSenders: 'accept', maxNewTicketsPerDay: 1000 } });
    const db = p.g.database.db;
    const bot = 'robot@responder.example';
    const received: number[] = [];
    let last: Captured | undefined;
    for (const [i, minute] of SCHEDULE.entries()) {
      p.at(minute);
      // No automatic header and a fresh mail every time (no tag, no In-Reply-To): it reads as a person.
      const answer = clientMail({
        from: `Robot Desk <${bot}>`,
        subject: `Thank you for your message (${i})`,
        body: `We have received your message and will get back to you shortly. (${i})`,
      });
      const sent = await p.round(answer.raw);
      const mine = sent.filter(to(bot));
      expect(mine.length).toBeLessThanOrEqual(1);
      for (const m of mine) {
        received.push(minute);
        last = m;
      }
      // Staff alerts are not automatic mail to a client: one per new ticket, whatever the budget.
      expect(sent.filter(to(AGENT))).toHaveLength(1);
    }

    // Three in the burst, none more in its 10 minutes, ten in the day, and the next day the budget is back.
    expect(received.slice(0, 3)).toEqual([0, 0.5, 1]);
    expect(received.filter((t) => t < 10)).toHaveLength(3);
    expectWithinBudget(received, 3, 10);
    expect(received.filter((t) => t < 24 * 60)).toHaveLength(10);
    expect(received.at(-1)).toBe(24 * 60 + 90);

    // Every mail became a ticket; each one whose acknowledgement was withheld says so.
    const inbound = await db.selectFrom('inbound_message').select(['state', 'outcome']).orderBy('id').execute();
    expect(inbound).toEqual(SCHEDULE.map(() => ({ state: 'processed', outcome: 'ticket' })));
    expect(await db.selectFrom('ticket').select('id').execute()).toHaveLength(SCHEDULE.length);
    const withheld = await db.selectFrom('event').select(['ticket_id', 'actor', 'field', 'to_value']).where('kind', '=', 'mail_withheld').orderBy('id').execute();
    expect(withheld).toHaveLength(SCHEDULE.length - received.length);
    expect(new Set(withheld.map((e) => e.to_value))).toEqual(new Set([bot]));
    expect(new Set(withheld.map((e) => `${e.actor} ${e.field}`))).toEqual(new Set(['system ticket-received']));
    const acknowledged = await db.selectFrom('outbox').select('ticket_id').where('recipient', '=', bot).execute();
    const ticketIds = (await db.selectFrom('ticket').select('id').orderBy('id').execute()).map((t) => t.id);
    // Each ticket either was acknowledged or records why not: never both, never neither.
    expect([...acknowledged.map((r) => r.ticket_id), ...withheld.map((e) => e.ticket_id)].sort((a, b) => a! - b!)).toEqual(ticketIds);

    // Our mail names the installation, so a copy coming back is known as ours.
    expect(last!.header('x-guichet-loop')).toBe('help.example.test');
    const headers = Object.fromEntries([...last!.parsed.headers].map(([k, v]) => [k, String(v)]));
    expect(carriesOurLoopHeader(headers, 'help.example.test')).toBe(true);
    // 38 mails through IMAP and SMTP, each round waited for: longer than the default on a busy machine.
  }, 120_000);

  it('asks "which project?" at most 3 times in 10 minutes and 10 times a day to a responder that answers each question with a new mail', async () => {
    p = await startClocked(engine, peers.dovecot, peers.sink);
    const db = p.g.database.db;
    const at = new Date(START).toISOString();
    await db.insertInto('project').values([
      { key: 'SHOP', name: 'Web shop', default_type: 'assistance', created_at: at },
      { key: 'BLOG', name: 'Blog', default_type: 'assistance', created_at: at },
    ]).execute();
    const bot = 'auto@answers.example';
    const received: number[] = [];
    for (const [i, minute] of SCHEDULE.entries()) {
      p.at(minute);
      const sent = await p.round(clientMail({ from: bot, subject: `Your question (${i})`, body: 'Thank you, your message has been received.' }).raw);
      const questions = sent.filter(to(bot));
      expect(questions.length).toBeLessThanOrEqual(1);
      if (questions.length) {
        expect(questions[0]!.parsed.text).toContain('Web shop');
        received.push(minute);
      }
    }
    expect(received.slice(0, 3)).toEqual([0, 0.5, 1]);
    expect(received.filter((t) => t < 10)).toHaveLength(3);
    expectWithinBudget(received, 3, 10);
    expect(received.filter((t) => t < 24 * 60)).toHaveLength(10);
    expect(received.at(-1)).toBe(24 * 60 + 90);

    // Every mail is kept, waiting for its project; no ticket, so the withheld questions are logged.
    const inbound = await db.selectFrom('inbound_message').select(['state', 'outcome']).orderBy('id').execute();
    expect(inbound).toEqual(SCHEDULE.map(() => ({ state: 'held', outcome: 'awaiting project choice' })));
    const withheld = p.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('automatic mail withheld: project-question to auto@answers.example'));
    expect(withheld).toHaveLength(SCHEDULE.length - received.length);
    expect(await db.selectFrom('event').select('id').where('kind', '=', 'mail_withheld').execute()).toEqual([]);
  });

  it("still delivers a staff member's reply and decisions past the budget, and withholds what the client's own mail causes", async () => {
    p = await startClocked(engine, peers.dovecot, peers.sink);
    const db = p.g.database.db;
    const ada = 'ada@example.com';
    // Four new tickets in two minutes: the fourth acknowledgement is past the budget.
    for (const i of [0, 1, 2, 3]) {
      p.at(i * 0.5);
      const sent = await p.round(clientMail({ subject: `Problem ${i + 1}`, body: `Details ${i + 1}` }).raw);
      expect(sent.filter(to(ada))).toHaveLength(i < 3 ? 1 : 0);
    }
    expect(await db.selectFrom('event').select(['ticket_id', 'field', 'to_value']).where('kind', '=', 'mail_withheld').execute()).toEqual([
      { ticket_id: 4, field: 'ticket-received', to_value: ada },
    ]);

    p.at(2);
    const reply = await api(p.g, 'POST', '/tickets/4/replies', { message: 'We are on it.' });
    expect(reply.status).toBe(201);
    p.at(2.5);
    const resolved = await api(p.g, 'PATCH', '/tickets/4', { resolution: 'fixed', message: 'Fixed in 2.1.' });
    expect(resolved.status).toBe(200);
    const toAda = (await p.sent()).filter(to(ada));
    expect(toAda.map((m) => m.parsed.subject)).toEqual(['[#4] Problem 4', '[#4] Problem 4']);
    // The relay connection pool may deliver them in either order.
    const staffReply = toAda.find((m) => String(m.parsed.text).includes('We are on it.'));
    const resolution = toAda.find((m) => String(m.parsed.text).includes('Fixed in 2.1.'));
    expect(staffReply && resolution && staffReply !== resolution).toBeTruthy();
    expect(toAda.every((m) => m.header('x-guichet-loop') === 'help.example.test')).toBe(true);
    const rows = await db.selectFrom('outbox').select(['event', 'automatic']).where('recipient', '=', ada).where('ticket_id', '=', 4).orderBy('id').execute();
    expect(rows).toEqual([{ event: 'staff-reply', automatic: 0 }, { event: 'ticket-resolved', automatic: 0 }]);

    // Ada clicks "it works": the ticket closes, and the closing notice her own mail caused is withheld.
    const link = [...String(resolution!.parsed.html).matchAll(/href="(mailto:[^"]+)"/g)]
      .map((x) => new URL(x[1]!.replace(/&amp;/g, '&')))
      .find((u) => (u.searchParams.get('body') ?? '').includes('confirm'))!;
    p.at(3);
    const confirmed = await p.round(clientMail({ subject: link.searchParams.get('subject')!, body: link.searchParams.get('body')! }).raw);
    expect(confirmed.filter(to(ada))).toEqual([]);
    expect((await db.selectFrom('ticket').select('status').where('number', '=', 4).executeTakeFirstOrThrow()).status).toBe('closed');
    expect(await db.selectFrom('event').select(['ticket_id', 'field', 'to_value']).where('kind', '=', 'mail_withheld').orderBy('id').execute()).toEqual([
      { ticket_id: 4, field: 'ticket-received', to_value: ada },
      { ticket_id: 4, field: 'ticket-closed', to_value: ada },
    ]);

    // Ten minutes after the burst the budget is back: her next mail is acknowledged.
    p.at(11);
    const later = await p.round(clientMail({ subject: 'Problem 5', body: 'Details 5' }).raw);
    expect(later.filter(to(ada)).map((m) => m.parsed.subject)).toEqual(['[#5] Problem 5']);
  });
});
