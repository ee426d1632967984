// What every end-to-end suite shares: the engines to run on, whether a real Dovecot can run (a
// loud skip outside CI, a failure in CI), and one Dovecot and one SMTP sink per engine's run.
import { afterAll, beforeAll, describe } from 'vitest';
import { testEngines, type TestEngine } from './databases.ts';
import { dovecotAvailable, ensureDovecotInstalled, startDovecot, type Dovecot } from './dovecot.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export async function mailSuite(name: string, opts: {
  /**
   * Runs the engines' suites at the same time, each one's tests still one after another: for files
   * that mostly wait (a server kept down, a relay refusing), whose two halves would otherwise wait
   * in turn. Each engine has its own peers and databases, so the halves share nothing.
   */
  enginesAtOnce?: boolean;
} = {}) {
  const engines = await testEngines();
  const available = dovecotAvailable() || (await ensureDovecotInstalled());
  const inCI = process.env.CI === 'true';
  if (!available && !inCI) console.warn(`\n!!! Dovecot missing: the ${name} suite is SKIPPED !!!\n`);
  const base = available || inCI ? describe : describe.skip;
  if (!opts.enginesAtOnce) return base.each(engines);
  return (title: string, fn: (engine: TestEngine) => void) =>
    base.concurrent.each(engines)(title, (engine) => {
      describe.sequential('one test at a time', () => fn(engine));
    });
}

/** Starts the peers before the engine's tests and stops them (and drops its databases) after. */
export function mailPeers(engine: TestEngine): { readonly dovecot: Dovecot; readonly sink: SmtpSink } {
  let dovecot: Dovecot | undefined;
  let sink: SmtpSink | undefined;
  beforeAll(async () => {
    dovecot = await startDovecot();
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await dovecot?.stop();
    await sink?.close();
    await engine.cleanup();
  });
  return {
    get dovecot() {
      return dovecot!;
    },
    get sink() {
      return sink!;
    },
  };
}
