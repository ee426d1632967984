import { defineConfig } from 'vitest/config';
import LongestFirst from './support/sequencer.ts';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each start their own Dovecot / SMTP peers on distinct ports; two workers
    // match the machine's two cores.
    maxWorkers: 2,
    // A worker keeps the modules it loaded from one file to the next instead of loading them again
    // for each (about 1.5 s a file here). The files share no state but what they make themselves:
    // no mocks, no fake timers, no changed environment.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
