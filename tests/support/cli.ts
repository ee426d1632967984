// Runs the `guichet` command as a process, as an operator or an MTA pipe would, with no GUICHET_*
// variable leaking in from the developer's shell.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve('src/guichet.mjs');

/** Environment without any GUICHET_* variable. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GUICHET_')));
  return { ...env, ...extra };
}

export function runGuichet(args: string[], opts: { cwd: string; input?: string; env?: NodeJS.ProcessEnv; bin?: string }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
