// The memory phase of `npm run bench`: a real `guichet start` process (SQLite, SMTP intake,
// acknowledgements captured to files), its resident set read from /proc/<pid>/status every 100 ms:
// just started, idle once its prepare thread has ended, then while it takes in a backlog by SMTP that includes messages carrying a
// 20 MB attachment. A process of its own, so that the benchmark's own backlog and baseline parser
// do not count. Targets (issue 11): under 200 MB idle, under 300 MB during the backlog.
// BENCH_MEMORY_MESSAGES (300) and BENCH_MEMORY_LARGE (4) set the backlog's small and large messages:
// BENCH_MEMORY_LARGE=0 tells the backlog's own cost from the large messages'.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { BIN, cleanEnv } from '../support/cli.ts';
import { freePort } from '../support/dovecot.ts';
import { generateBacklog } from './fixtures.ts';

const MB = 1048576;
/** Idle is read this long after the process says it started (its start-up garbage collected). */
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 8000);
/** Idle is read this long after start: past the prepare thread's 30 s without mail. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 36_000);
const SMALL = Number(process.env.BENCH_MEMORY_MESSAGES ?? 300);
const LARGE = Number(process.env.BENCH_MEMORY_LARGE ?? 4);
/** SMTP sessions at once. */
const SESSIONS = Number(process.env.BENCH_MEMORY_SESSIONS ?? 2);
const ATTACHMENT = 20 * MB;

export interface MemoryFigures {
  /** SETTLE_MS after start, the prepare thread still warm. */
  startedMb: number;
  idleMb: number;
  peakMb: number;
  /** The kernel's high-water mark, start-up included. */
  hwmMb: number;
  messages: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function status(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function largeMessage(i: number): Buffer {
  const body = randomBytes(ATTACHMENT).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    `From: Large ${i} <large${i}@memory.example>`,
    'To: support@help.example.test',
    `Subject: Screen recording ${i}`,
    `Message-ID: <large${i}@memory.example>`,
    'Date: Mon, 02 Jun 2025 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The recording of the problem is attached (${i}).`,
    '--b',
    'Content-Type: video/mp4; name="recording.mp4"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="recording.mp4"',
    '',
    body,
    '--b--',
    '',
  ].join('\r\n'));
}

export async function measureMemory(dir: string, log: (msg: string) => void): Promise<MemoryFigures> {
  const smtpPort = await freePort();
  const config = {
    database: { url: `sqlite:${path.join(dir, 'memory.db')}` },
    dataDir: path.join(dir, 'memory-data'),
    support: { address: 'support@help.example.test', name: 'Example Support' },
    admin: { listen: '127.0.0.1:0', apiToken: 'memory-bench-token-0123456789' },
    smtpIntake: { listen: `127.0.0.1:${smtpPort}` },
    outbox: { captureDir: path.join(dir, 'memory-sent') },
    intake: { unknownSenders: 'accept' },
    // A 20 MB attachment is kept (the default bound is 15 MB): the point is to hold it.
    limits: { maxMessageBytes: 32 * MB, maxAttachmentBytes: 24 * MB },
  };
  const configFile = path.join(dir, 'memory-config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (let waited = 0; !output.includes('Guichet started'); waited += 50) {
      if (waited > 30_000 || child.exitCode !== null) throw new Error(`guichet start did not start:\n${output}`);
      await sleep(50);
    }
    await sleep(SETTLE_MS);
    const started = status(child.pid!).rss;
    log(`memory: guichet start ${(started / MB).toFixed(0)} MB resident ${SETTLE_MS / 1000} s after it started (prepare thread warm)`);
    // The prepare thread ends after 30 s without mail (src/mail/prepare-thread.ts): idle is after that.
    await sleep(IDLE_MS - SETTLE_MS);
    const idle = status(child.pid!).rss;
    log(`    idle ${(idle / MB).toFixed(0)} MB resident ${IDLE_MS / 1000} s after it started`);

    const backlog = generateBacklog(SMALL, 0x6d656d).messages.map((m) => m.raw);
    const step = Math.floor(backlog.length / (LARGE + 1));
    for (let i = LARGE; i >= 1; i--) backlog.splice(i * step, 0, largeMessage(i));
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, status(child.pid!).rss)), 100);
    const t0 = performance.now();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, pool: true, maxConnections: SESSIONS, maxMessages: Infinity });
    try {
      // Two sessions by default, as an MTA would: a large message is in hand while small ones keep coming.
      let next = 0;
      await Promise.all(Array.from({ length: SESSIONS }, async () => {
        while (next < backlog.length) {
          const raw = backlog[next++]!;
          await transport.sendMail({ envelope: { from: 'sender@memory.example', to: ['support@help.example.test'] }, raw });
        }
      }));
    } finally {
      transport.close();
      clearInterval(sampler);
    }
    peak = Math.max(peak, status(child.pid!).rss);
    const seconds = (performance.now() - t0) / 1000;
    const hwm = status(child.pid!).hwm;
    log(`    ${backlog.length} messages by SMTP (${LARGE} with a 20 MB attachment) in ${seconds.toFixed(1)} s: peak ${(peak / MB).toFixed(0)} MB resident (sampled every 100 ms), high-water mark ${(hwm / MB).toFixed(0)} MB (start-up included)`);
    return { startedMb: started / MB, idleMb: idle / MB, peakMb: peak / MB, hwmMb: hwm / MB, messages: backlog.length, seconds };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
