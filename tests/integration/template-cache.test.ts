// The compiled templates are kept for the next start (compile-templates.ts): a later process reads
// them instead of compiling, a changed template or a damaged entry is compiled again, and the entry
// of former sources goes away. The later process is a real one, since this process remembers what it
// compiled.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { compileTemplates } from '../../src/notify/compile-templates.ts';
import { TEMPLATE_NAMES } from '../../src/notify/render.ts';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
const MODULE = fileURLToPath(new URL('../../src/notify/compile-templates.ts', import.meta.url));
const NAME = 'auto-closed';

/** What a new process compiles or reads for `dir` with `cacheDir`: auto-closed's HTML. */
async function inAnotherProcess(dir: string, cacheDir: string): Promise<string> {
  const script = `const { compileTemplates } = await import(${JSON.stringify(MODULE)});
    const html = await compileTemplates(${JSON.stringify(dir)}, ${JSON.stringify(TEMPLATE_NAMES)}, ${JSON.stringify(cacheDir)});
    process.stdout.write(html.get(${JSON.stringify(NAME)}));`;
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'guichet-compile-')), 'compile.mts');
  await writeFile(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { maxBuffer: 1 << 24 });
  return stdout;
}

const entries = async (cacheDir: string) => (await readdir(cacheDir)).filter((f) => f.startsWith('templates-'));

it('keeps the compile for the next process, compiles again what changed or is damaged, and drops former entries', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'guichet-templates-'));
  await cp(TEMPLATES_DIR, dir, { recursive: true });
  const cacheDir = path.join(await mkdtemp(path.join(tmpdir(), 'guichet-data-')), 'cache');

  const first = await compileTemplates(dir, TEMPLATE_NAMES, cacheDir);
  expect([...first.keys()].sort()).toEqual([...TEMPLATE_NAMES].sort());
  expect(first.get(NAME)).toMatch(/^<!doctype html>/i);
  const [entry] = await entries(cacheDir);
  expect(entry).toMatch(/^templates-[0-9a-f]{32}\.json$/);

  // A later process reads the entry: a marker put into it comes back, so nothing was compiled.
  const file = path.join(cacheDir, entry!);
  const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  await writeFile(file, JSON.stringify({ ...stored, [NAME]: '<p>from the cache</p>' }));
  expect(await inAnotherProcess(dir, cacheDir)).toBe('<p>from the cache</p>');

  // A damaged entry is compiled again, and written again whole.
  await writeFile(file, '{"auto-closed": "<p>cut off');
  expect(await inAnotherProcess(dir, cacheDir)).toBe(first.get(NAME));
  expect(JSON.parse(await readFile(file, 'utf8'))[NAME]).toBe(first.get(NAME));

  // A changed template has another digest: compiled (here, in this process too), the former entry removed.
  const source = path.join(dir, `${NAME}.mjml`);
  await writeFile(source, (await readFile(source, 'utf8')).replace('<mj-text', '<mj-text css-class="changed"'));
  const changed = await compileTemplates(dir, TEMPLATE_NAMES, cacheDir);
  expect(changed.get(NAME)).toContain('changed');
  const after = await entries(cacheDir);
  expect(after).toHaveLength(1);
  expect(after[0]).not.toBe(entry);

  // A text template is not compiled: changing one keeps the entry.
  await writeFile(path.join(dir, `${NAME}.txt`), 'changed text\n');
  expect((await compileTemplates(dir, TEMPLATE_NAMES, cacheDir)).get(NAME)).toBe(changed.get(NAME));
  expect(await entries(cacheDir)).toEqual(after);
}, 60_000);
