// A real browser for the admin's end-to-end tests: Debian's Chromium driven by playwright-core
// (never `npx playwright install`, which downloads its own browser and cannot work here). Like
// Dovecot, Chromium is installed with apt when it is missing and the tests run as root; outside CI a
// missing browser skips the suite loudly, in CI (`CI=true`) it fails. One launch per test file, a
// fresh context (cookies, storage) per test: launching costs ~0.7 s, a context a few milliseconds.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';

const run = promisify(execFile);

export const CHROMIUM = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying to reach the internet; the sandbox
// needs user namespaces a container (and root) does not give it.
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function chromiumAvailable(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let installing: Promise<boolean> | null = null;

/** Installs Debian's chromium when running as root and it is missing; resolves whether it is usable. */
export function ensureChromiumInstalled(): Promise<boolean> {
  if (chromiumAvailable()) return Promise.resolve(true);
  if (process.getuid?.() !== 0) return Promise.resolve(false);
  installing ??= (async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => run('apt-get', ['-o', 'DPkg::Lock::Timeout=180', 'install', '-y', '-q', 'chromium'], { env });
    try {
      await install();
    } catch {
      try {
        await run('apt-get', ['-o', 'DPkg::Lock::Timeout=180', 'update', '-q'], { env });
        await install();
      } catch (err) {
        console.warn(`[chromium] apt-get install chromium failed: ${(err as Error).message}`);
      }
    }
    return chromiumAvailable();
  })();
  return installing;
}

/** `describe`, or `describe.skip` (with a loud warning) when no Chromium can run outside CI. */
export async function browserSuite(name: string): Promise<typeof describe> {
  const available = chromiumAvailable() || (await ensureChromiumInstalled());
  if (available || process.env.CI === 'true') return describe;
  console.warn(
    `\n!!! Chromium missing (${CHROMIUM}): the ${name} suite is SKIPPED. ` +
      'Install it with `sudo apt-get install -y chromium` (Debian). !!!\n',
  );
  return describe.skip as typeof describe;
}

export interface BrowserHandle {
  readonly browser: Browser;
  /** A page in a context of its own, closed after the test. */
  newPage(opts?: BrowserContextOptions): Promise<Page>;
}

/** Launches Chromium once for the file; every context opened through `newPage` is closed after its test. */
export function browserPerFile(): BrowserHandle {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`CHROMIUM IS MISSING at ${CHROMIUM}: \`apt-get install -y chromium\``);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      return browser!;
    },
    async newPage(opts = {}) {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', ...opts });
      contexts.push(context);
      // Fail at the step that waits, well before the test's own timeout, so the report names it.
      context.setDefaultTimeout(10_000);
      return context.newPage();
    },
  };
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; failureSummary?: string }>;
}

/**
 * Runs axe-core in the page and returns its violations (WCAG 2.x A and AA rules and best practices).
 * axe is evaluated as a string, not added as a <script>: the admin's CSP allows only its own scripts.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await (window as any).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }));
  });
}

/** One line per violation, for an assertion message that says what to fix. */
export const describeViolations = (vs: AxeViolation[]) =>
  vs.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.html).join(' | ')}`).join('\n');
