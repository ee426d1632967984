// What every end-to-end suite shares: the engines to run on, whether a real Dovecot can run (a
// loud skip outside CI, a failure in CI), and one Dovecot and one SMTP sink per engine's run.
import { afterAll, beforeAll, describe } from 'vitest';
import { testEngines, type TestEngine } from './databases.ts';
import { dovecotAvailable, ensureDovecotInstalled, startDovecot, type Dovecot } from './dovecot.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export async function mailSuite(name: string) {
  const engines = await testEngines();
  const available = dovecotAvailable() || (await ensureDovecotInstalled());
  const inCI = process.env.CI === 'true';
  if (!available && !inCI) console.warn(`\n!!! Dovecot missing: the ${name} suite is SKIPPED !!!\n`);
  return available || inCI ? describe.each(engines) : describe.skip.each(engines);
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
