// Deterministic mail backlog for the intake benchmark: a seeded PRNG drives sizes, senders, MIME
// shapes, attachments and replies, so two runs (and two machines) process byte-identical mail.
// Replies carry `Re: [#N]` for a ticket that an earlier message in the same backlog opens, from that
// ticket's reporter: Guichet numbers tickets 1, 2, 3… in UID order on a fresh database.

import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SUPPORT_ADDRESS = 'support@help.example.test';

/** mulberry32: tiny, fast, good enough to pick words and sizes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the invoice order account password login error server delivery printer network we you it is not ' +
  'since yesterday morning cannot open please help urgent again report screen button page attached ' +
  'customer update version install license renewal payment bank transfer received missing broken ' +
  'thanks regards hello could would should check restart email address phone call meeting monday ' +
  'la facture commande compte mot de passe erreur serveur livraison imprimante réseau nous vous il ' +
  'ne pas depuis hier matin impossible ouvrir aidez urgent encore écran bouton page jointe client ' +
  'mise à jour installer licence renouvellement paiement virement reçu manquant cassé merci cordialement ' +
  'bonjour pourriez vérifier redémarrer adresse téléphone réunion lundi déjà était où ça très'
).split(' ');

const FIRST = 'Ada Alan Grace Linus Margaret Ken Dennis Barbara Edsger Frances Niklaus Radia Tim Vint Hedy Sophie Amélie Élodie Jérôme Zoé Björn Søren'.split(' ');
const LAST = 'Lovelace Turing Hopper Torvalds Hamilton Thompson Ritchie Liskov Dijkstra Allen Wirth Perlman Berners-Lee Cerf Lamarr Germain Poulain Dubois Lefèvre Müller Ångström'.split(' ');
const DOMAINS = ['example.com', 'example.org', 'client-a.example', 'client-b.example', 'acme.example', 'exemple.fr'];

export interface BenchMessage {
  raw: Buffer;
  messageId: string;
  kind: 'new' | 'reply';
  from: string;
  /** The ticket a new message opens, or the ticket a reply answers. */
  ticket: number;
  html: boolean;
  attachment: number; // attachment bytes before base64, 0 when none
}

export interface Backlog {
  messages: BenchMessage[];
  bytes: number;
  senders: number;
}

function encodeWord(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function address(name: string, email: string): string {
  if (!name) return email;
  return /^[A-Za-z0-9 .-]*$/.test(name) ? `${name} <${email}>` : `${encodeWord(name)} <${email}>`;
}

/** Quoted-printable (RFC 2045) of UTF-8 text with CRLF line ends; soft breaks before 76 columns. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\r\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const last = i === bytes.length - 1;
      const enc =
        (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last)
          ? String.fromCharCode(b)
          : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + enc.length > 75) {
        out.push(`${cur}=`);
        cur = '';
      }
      cur += enc;
    }
    out.push(cur);
  }
  return out.join('\r\n');
}

function base64Lines(buf: Buffer): string {
  const b64 = buf.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `firstTicket`: the number the backlog's first new ticket will get, which its replies' tags name. */
export function generateBacklog(count: number, seed = 20240601, firstTicket = 1): Backlog {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  const senderCount = Math.max(20, Math.round(count * 0.35));
  const senders = Array.from({ length: senderCount }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.-]/g, '').toLowerCase();
    return { name: rnd() < 0.85 ? `${first} ${last}` : '', email: `${local}.${i}@${pick(DOMAINS)}` };
  });

  const sentence = () => {
    const n = int(6, 18);
    const ws: string[] = [];
    for (let i = 0; i < n; i++) ws.push(pick(WORDS));
    const s = ws.join(' ');
    return s.charAt(0).toUpperCase() + s.slice(1) + pick(['.', '.', '.', '?', '!']);
  };
  /** Paragraphs of wrapped lines (≤ 72 columns) totalling about `bytes`. */
  const paragraphs = (bytes: number): string[] => {
    const paras: string[] = [];
    let size = 0;
    while (size < bytes) {
      const lines: string[] = [];
      let line = '';
      const sentences = int(2, 6);
      for (let s = 0; s < sentences; s++) {
        for (const w of sentence().split(' ')) {
          if (line.length + w.length + 1 > 72) {
            lines.push(line);
            line = w;
          } else line = line ? `${line} ${w}` : w;
        }
      }
      if (line) lines.push(line);
      const p = lines.join('\r\n');
      paras.push(p);
      size += p.length + 4;
    }
    return paras;
  };
  const randomBytes = (n: number): Buffer => {
    const buf = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) buf.writeUInt32LE((rnd() * 4294967296) >>> 0, i);
    for (; i < n; i++) buf[i] = (rnd() * 256) | 0;
    return buf;
  };

  const tickets: { number: number; sender: (typeof senders)[number]; subject: string; messageId: string }[] = [];
  const messages: BenchMessage[] = [];
  let bytes = 0;
  const base = Date.UTC(2024, 5, 1, 8, 0, 0);

  for (let i = 0; i < count; i++) {
    const reply = tickets.length >= 5 && rnd() < 0.15;
    const target = reply ? tickets[Math.floor(rnd() * tickets.length)]! : null;
    const sender = target ? target.sender : pick(senders);
    const topic = sentence().slice(0, int(20, 60)).replace(/[.?!]$/, '');
    const subject = target ? `Re: [#${target.number}] ${target.subject}` : topic;
    const messageId = `<bench-${seed}-${i}@${sender.email.split('@')[1]}>`;
    // Log-uniform text size between ~1 KB and 60 KB.
    const textBytes = Math.round(Math.exp(Math.log(1000) + rnd() * (Math.log(60_000) - Math.log(1000))));
    const html = rnd() < 0.25;
    const attachment = rnd() < 0.2 ? int(10_000, 200_000) : 0;
    const qp = rnd() < 0.3;

    let paras = paragraphs(textBytes);
    if (target) {
      const quoted = paragraphs(Math.min(4000, textBytes)).join('\r\n\r\n').split('\r\n').map((l) => (l ? `> ${l}` : '>'));
      const reply = paras.slice(0, Math.max(1, Math.ceil(paras.length / 3)));
      paras = [...reply, `On Mon, 3 Jun 2024 at 10:00, Support <${SUPPORT_ADDRESS}> wrote:\r\n${quoted.join('\r\n')}`];
    }
    const signature = `-- \r\n${sender.name || sender.email}`;
    const text = `${paras.join('\r\n\r\n')}\r\n\r\n${signature}\r\n`;

    const textPart = (): string[] =>
      qp
        ? ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(text)]
        : ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text];
    const htmlPart = (): string[] => {
      const body = paras
        .map((p) =>
          p.startsWith('On Mon')
            ? `<blockquote type="cite">${escapeHtml(p).replace(/\r\n/g, '<br>\r\n')}</blockquote>`
            : `<p style="margin:0 0 1em 0">${escapeHtml(p).replace(/\r\n/g, '\r\n')}</p>`,
        )
        .join('\r\n');
      const doc = `<html><head><meta charset="utf-8"><style>p{font-family:Arial}</style></head><body>\r\n<div dir="ltr">${body}\r\n<p>-- <br><b>${escapeHtml(sender.name || sender.email)}</b> · <a href="https://example.com/">example.com</a></p></div></body></html>\r\n`;
      return ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(doc)];
    };

    const b1 = `=_alt_${seed}_${i}`;
    const b2 = `=_mixed_${seed}_${i}`;
    let bodyPart: string[] = html
      ? [`Content-Type: multipart/alternative; boundary="${b1}"`, '', `--${b1}`, ...textPart(), `--${b1}`, ...htmlPart(), `--${b1}--`, '']
      : textPart();
    if (attachment) {
      const ext = pick(['pdf', 'png', 'zip', 'log']);
      const type = { pdf: 'application/pdf', png: 'image/png', zip: 'application/zip', log: 'application/octet-stream' }[ext]!;
      const name = `${pick(['facture', 'screenshot', 'export', 'rapport', 'logs'])}-${i}.${ext}`;
      bodyPart = [
        `Content-Type: multipart/mixed; boundary="${b2}"`,
        '',
        `--${b2}`,
        ...bodyPart,
        `--${b2}`,
        `Content-Type: ${type}; name="${name}"`,
        `Content-Disposition: attachment; filename="${name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(randomBytes(attachment)),
        `--${b2}--`,
        '',
      ];
    }

    const date = new Date(base + i * 37_000);
    const head = [
      `Return-Path: <${sender.email}>`,
      `Received: from mx.${sender.email.split('@')[1]} (mx [192.0.2.${i % 250}]) by mx.help.example.test; ${date.toUTCString()}`,
      `From: ${address(sender.name, sender.email)}`,
      `To: Support <${SUPPORT_ADDRESS}>`,
      `Subject: ${encodeWord(subject)}`,
      `Date: ${date.toUTCString()}`,
      `Message-ID: ${messageId}`,
      ...(target && rnd() < 0.5 ? [`In-Reply-To: ${target.messageId}`, `References: ${target.messageId}`] : []),
      'MIME-Version: 1.0',
    ];
    const raw = Buffer.from([...head, ...bodyPart].join('\r\n'), 'utf8');
    bytes += raw.length;

    if (target) {
      messages.push({ raw, messageId, from: sender.email, kind: 'reply', ticket: target.number, html, attachment });
    } else {
      const number = firstTicket + tickets.length;
      tickets.push({ number, sender, subject: topic, messageId });
      messages.push({ raw, messageId, from: sender.email, kind: 'new', ticket: number, html, attachment });
    }
  }
  return { messages, bytes, senders: new Set(messages.map((m) => m.from)).size };
}

/** One small new-ticket message for the latency probe, from a sender of its own (no ack limit). */
export function latencyMessage(k: number, runId: string): { raw: Buffer; messageId: string } {
  const messageId = `<latency-${runId}-${k}@probe.example>`;
  const raw = [
    `From: Probe ${k} <probe-${runId}-${k}@probe.example>`,
    `To: Support <${SUPPORT_ADDRESS}>`,
    `Subject: Latency probe ${k}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Hello, this is latency probe number ${k}. The printer on the second floor is broken again.`,
    '',
    '-- ',
    `Probe ${k}`,
    '',
  ].join('\r\n');
  return { raw: Buffer.from(raw, 'utf8'), messageId };
}

// ---- the SMTP sink in a child process ----
// The sink (tests/support/smtp-sink.ts) parses every captured message with mailparser; in the
// benchmark's own process that work would run on Guichet's event loop and be billed to Guichet.
// A real MTA is another process too, so the benchmark runs the sink in one and hears of each capture
// over IPC (arrival stamped in the parent, so a latency includes the IPC hop, well under 1 ms).

export interface RemoteSink {
  url: string;
  /** Captures so far, in arrival order. */
  captures: Array<{ at: number; inReplyTo: string; bytes: number }>;
  /** Resolves once `count` captures arrived; rejects after timeoutMs. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSinkProcess(): Promise<RemoteSink> {
  const child = fork(fileURLToPath(import.meta.url), ['smtp-sink'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const captures: RemoteSink['captures'] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve(), waiters.forEach((w) => w()))));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`SMTP sink process exited with ${code} before it was ready`)));
    child.on('message', (m: { type: string; url?: string; inReplyTo?: string; bytes?: number }) => {
      if (m.type === 'ready') resolve(m.url!);
      else if (m.type === 'mail') {
        captures.push({ at: performance.now(), inReplyTo: m.inReplyTo ?? '', bytes: m.bytes ?? 0 });
        waiters.forEach((w) => w());
      }
    });
  });
  return {
    url,
    captures,
    waitFor(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (captures.length >= count) done(resolve);
          else if (exited) done(() => reject(new Error('SMTP sink process exited')));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`SMTP sink: expected ${count} messages, got ${captures.length}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

/**
 * The sink's process: an smtp-server that reads only the header block of what it receives (an MTA
 * relays mail, it does not parse MIME bodies), so its CPU, on the machine Guichet shares, stays what
 * a real relay would cost.
 */
async function sinkChild(): Promise<void> {
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const end = raw.indexOf('\r\n\r\n');
        const head = raw.subarray(0, end >= 0 ? end : raw.length).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
        const inReplyTo = /^in-reply-to:[ \t]*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
        process.send!({ type: 'mail', inReplyTo, bytes: raw.length });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.send!({ type: 'ready', url: `smtp://127.0.0.1:${port}` });
}

if (process.argv[2] === 'smtp-sink' && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.send) {
  await sinkChild();
}

// ---- diagnostics for the intake phase (off by default) ----

/** BENCH_SQL=1: counts and times every better-sqlite3 prepare and execution, keyed by SQL text.
 * Kysely's SQLite driver prepares each query anew, so prepares are reported apart. */
export async function sqlAccounting(): Promise<{ reset(): void; report(messages: number): string[] }> {
  const { default: SQLite } = await import('better-sqlite3');
  type Stat = { runs: number; runMs: number; prepares: number; prepareMs: number };
  const stats = new Map<string, Stat>();
  const stat = (src: string) => {
    const key = src.replace(/\s+/g, ' ').slice(0, 100);
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { runs: 0, runMs: 0, prepares: 0, prepareMs: 0 }));
    return s;
  };
  const probe = new SQLite(':memory:');
  const dbProto = Object.getPrototypeOf(probe) as { prepare(this: unknown, src: string): unknown };
  const stmtProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  const prepare = dbProto.prepare;
  dbProto.prepare = function (src: string) {
    const t = performance.now();
    try {
      return prepare.call(this, src);
    } finally {
      const s = stat(src);
      s.prepares++;
      s.prepareMs += performance.now() - t;
    }
  };
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = stmtProto[method]!;
    stmtProto[method] = function (this: { source: string }, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const s = stat(this.source);
        s.runs++;
        s.runMs += performance.now() - t;
      }
    };
  }
  return {
    reset: () => stats.clear(),
    report(messages) {
      const all = [...stats.values()];
      const sum = (f: (s: Stat) => number) => all.reduce((a, s) => a + f(s), 0);
      const lines = [
        `SQL: ${sum((s) => s.runs)} executions (${(sum((s) => s.runs) / messages).toFixed(1)}/msg) ${sum((s) => s.runMs).toFixed(0)} ms, ` +
          `${sum((s) => s.prepares)} prepares ${sum((s) => s.prepareMs).toFixed(0)} ms`,
      ];
      for (const [k, s] of [...stats].sort((a, b) => b[1].runMs + b[1].prepareMs - (a[1].runMs + a[1].prepareMs)).slice(0, 14)) {
        lines.push(`${s.runMs.toFixed(0).padStart(6)} ms run ${s.prepareMs.toFixed(0).padStart(5)} ms prepare ${String(s.runs).padStart(6)}×  ${k}`);
      }
      return lines;
    },
  };
}

/** BENCH_PROFILE=<file>: a V8 CPU profile of one phase (open it in Chrome DevTools), plus the
 * self time per package so the figures read without a viewer. */
export async function cpuProfiler(): Promise<{ start(): Promise<void>; stop(file: string): Promise<string[]> }> {
  const inspector = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new inspector.Session();
  session.connect();
  return {
    async start() {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
    },
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const self = new Map<string, number>();
      let total = 0;
      profile.samples!.forEach((id, i) => {
        const dt = (profile.timeDeltas![i + 1] ?? 0) / 1000;
        total += dt;
        const { url, functionName } = byId.get(id)!.callFrame;
        const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? url.replace(/^.*\/src\//, 'src/') : url ? url.replace(/^.*\//, '') : `(${functionName.replace(/^\((.*)\)$/, '$1') || 'native'})`);
        self.set(key, (self.get(key) ?? 0) + dt);
      });
      return [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${k}`);
    },
  };
}

/** CPU per thread of this process over a phase (Linux /proc), to see which thread is the bottleneck. */
export function threadAccounting(): { report(): string[] } {
  const read = () => {
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(tid, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        // the thread ended
      }
    }
    return out;
  };
  // Whole machine, in clock ticks: busy (user, nice, system, irq, softirq, steal) and idle + iowait.
  const machine = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!, idle: f[3]! + f[4]! };
  };
  const before = read();
  const m0 = machine();
  return {
    report() {
      const after = read();
      const m1 = machine();
      const busy = m1.busy - m0.busy;
      const idle = m1.idle - m0.idle;
      const rows = [...after].map(([tid, ms]) => [tid === String(process.pid) ? 'main' : `thread ${tid}`, ms - (before.get(tid) ?? 0)] as const);
      return [
        `machine: ${Math.round((100 * busy) / (busy + idle))} % busy on all cores (every process)`,
        ...rows.filter(([, ms]) => ms >= 100).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `CPU ${Math.round(ms)} ms  ${name}`),
      ];
    },
  };
}
