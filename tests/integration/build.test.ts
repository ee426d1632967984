// `npm run build` and the choice of code (src/compiled.mjs), on a copy of the project whose
// node_modules lacks tsx: a process that runs the compiled code works there, and one that falls back
// to the sources cannot start. So `guichet start` taking a mail through its prepare thread proves
// that neither thread loaded the TypeScript loader, and an edited source proves that a stale dist/
// is not run. A copy without TypeScript (an install without dev dependencies) installs and runs
// from its sources.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { expect, it } from 'vitest';
import { runGuichet } from '../support/cli.ts';
import { freePort } from '../support/dovecot.ts';
import { clientMail, SUPPORT } from '../support/guichet.ts';
import { waitUntil } from '../support/wait.ts';

const ROOT = path.resolve('.');

/** A copy of the project whose node_modules holds every package but `missing`. */
function projectWithout(missing: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-build-'));
  for (const entry of ['src', 'migrations', 'templates', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  mkdirSync(path.join(dir, 'node_modules'));
  for (const pkg of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (pkg !== missing) symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(dir, 'node_modules', pkg));
  }
  return dir;
}

function run(dir: string, args: string[], input = ''): ReturnType<typeof runGuichet> {
  return runGuichet(args, { cwd: dir, input, bin: path.join(dir, 'src', 'guichet.mjs') });
}

it('runs the compiled code without the TypeScript loader in any thread, and never a dist/ older than the sources', async () => {
  const dir = projectWithout('tsx');
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ support: { address: SUPPORT }, outbox: { captureDir: './sent' } }));

  // Before any build, the sources need tsx, which this copy lacks.
  const unbuilt = await run(dir, ['check-config']);
  expect(unbuilt.code).not.toBe(0);
  expect(unbuilt.stderr).toContain("Cannot find package 'tsx'");

  const build = await runNode(dir, [path.join(dir, 'src', 'build.mjs')]);
  expect(build.code, build.stderr).toBe(0);
  expect(readFileSync(path.join(dir, 'dist', 'SOURCES'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);

  // The mail goes through the SMTP intake and the prepare thread to a ticket and its acknowledgement.
  const port = await freePort();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    support: { address: SUPPORT }, outbox: { captureDir: './sent' }, intake: { unknownSenders: 'accept' },
    admin: { listen: '127.0.0.1:0' }, smtpIntake: { listen: `127.0.0.1:${port}` },
  }));
  const child = spawn(process.execPath, [path.join(dir, 'src', 'guichet.mjs'), 'start'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitUntil(async () => output.includes('Guichet started') || child.exitCode !== null, 'guichet start', 30_000);
    expect(child.exitCode, output).toBeNull();
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await smtp.sendMail({ envelope: { from: 'ada@example.com', to: [SUPPORT] }, raw: clientMail({ subject: 'Compiled', body: 'hello' }).raw });
    smtp.close();
    const sent = path.join(dir, 'sent');
    await waitUntil(async () => existsSync(sent) && readdirSync(sent).length > 0, 'the acknowledgement', 20_000);
    expect(readFileSync(path.join(sent, readdirSync(sent)[0]!), 'utf8')).toContain('[#1]');
    expect(output).not.toMatch(/tsx|ERR_/);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }

  // An edited source makes dist/ stale: the sources run (and here cannot, without tsx)…
  const config = path.join(dir, 'src', 'config.ts');
  const original = readFileSync(config, 'utf8');
  writeFileSync(config, `${original}\n// edited\n`);
  expect((await run(dir, ['check-config'])).stderr).toContain("Cannot find package 'tsx'");
  // …and the same content again, whatever its date, runs the compiled code again.
  writeFileSync(config, original);
  const again = await run(dir, ['check-config']);
  expect(again.code, again.stderr).toBe(0);
}, 90_000);

it('installs without TypeScript (npm prepare goes on without a build) and runs the sources', async () => {
  const dir = projectWithout('typescript');
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ support: { address: SUPPORT }, outbox: { captureDir: './sent' } }));
  const prepare = await runNode(dir, [path.join(dir, 'src', 'build.mjs'), '--if-possible']);
  expect(prepare.code, prepare.stderr).toBe(0);
  expect(prepare.stderr).toContain('not compiled (TypeScript is not installed)');
  expect(existsSync(path.join(dir, 'dist'))).toBe(false);
  // Asked for by name, the build fails instead.
  expect((await runNode(dir, [path.join(dir, 'src', 'build.mjs')])).code).not.toBe(0);
  const check = await run(dir, ['check-config']);
  expect(check.code, check.stderr).toBe(0);
}, 60_000);

function runNode(cwd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
