// The intake alone, without IMAP, SMTP or Dovecot: a backlog (fixtures.ts) handed to
// intake.handleBatch in chunks of 200 on a fresh SQLite file, the next chunk handed over while the
// current one is applied, as the IMAP poller does. On a shared two-core machine the whole bench's
// rates move by tens of percent from run to run; the CPU each thread spends, and the statements and
// commits counted with BENCH_SQL=1, move much less, so a change of a fraction of a millisecond per
// message shows here first.
//   node --import tsx tests/bench/handle.bench.ts
// HANDLE_MESSAGES (default 1500), HANDLE_WARMUP (400), HANDLE_FETCH_MS (a pause before each chunk is
// handed over, standing for its IMAP fetch: 0 lets the prepare thread run a whole chunk ahead),
// BENCH_DIR (default ./data), BENCH_SQL=1 (time per SQL statement, commits included).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildGuichet } from '../support/guichet.ts';
import { generateBacklog, sqlAccounting, threadAccounting } from './fixtures.ts';

const COUNT = Number(process.env.HANDLE_MESSAGES ?? 1500);
const WARMUP = Number(process.env.HANDLE_WARMUP ?? 400);
const FETCH_MS = Number(process.env.HANDLE_FETCH_MS ?? 0);
const CHUNK = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const benchDir = path.resolve(process.env.BENCH_DIR ?? 'data');
await mkdir(benchDir, { recursive: true });
const tmp = await mkdtemp(path.join(benchDir, 'handle-'));
try {
  const g = await buildGuichet({ databaseUrl: `sqlite:${path.join(tmp, 'intake.db')}`, dataDir: path.join(tmp, 'data'), overrides: { intake: { unknownSenders: 'accept' } } });
  const warmup = generateBacklog(WARMUP, 20240601 ^ 0x77a4);
  const backlog = generateBacklog(COUNT, 20240601, warmup.messages.filter((m) => m.kind === 'new').length + 1);
  const items = (messages: typeof backlog.messages, box: string) => messages.map((m, i) => ({ raw: m.raw, source: { mailbox: box, uidValidity: 1, uid: i + 1 } }));
  const chunks = (all: ReturnType<typeof items>) => Array.from({ length: Math.ceil(all.length / CHUNK) }, (_, i) => all.slice(i * CHUNK, (i + 1) * CHUNK));
  const run = async (list: ReturnType<typeof chunks>) => {
    let current: Promise<unknown> | null = null;
    for (const chunk of list) {
      if (FETCH_MS) await sleep(FETCH_MS);
      const next = g.intake.handleBatch(chunk);
      next.catch(() => {});
      if (current) await current;
      current = next;
    }
    await current;
  };
  await run(chunks(items(warmup.messages, 'warmup')));

  const sqlStats = process.env.BENCH_SQL ? await sqlAccounting() : null;
  sqlStats?.reset();
  const threads = threadAccounting();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run(chunks(items(backlog.messages, 'measured')));
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const states = await g.database.db.selectFrom('inbound_message').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  console.log(`handleBatch: ${COUNT} messages in ${ms.toFixed(0)} ms = ${(COUNT / (ms / 1000)).toFixed(0)} msg/s; process CPU ${((used.user + used.system) / 1000 / COUNT).toFixed(2)} ms/msg; fetch pause ${FETCH_MS} ms/chunk`);
  console.log(`  states: ${states.map((s) => `${s.state} ${s.n}`).join(', ')}`);
  for (const line of threads.report()) console.log(`  ${line}`);
  for (const line of sqlStats?.report(COUNT) ?? []) console.log(`  ${line}`);
  await g.stop();
} finally {
  await rm(tmp, { recursive: true, force: true });
}
