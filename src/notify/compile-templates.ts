// MJML to HTML for every notification template, once per set of sources. Compiling takes mjml (and
// html-minifier, js-beautify, juice, cheerio…) about two seconds and 45 MB, on a thread that ends
// after (mjml-compile.worker.mjs). The result depends only on what the compile reads: the templates
// folder but its text templates (render.ts reads those), the compiler's own file (which holds its
// options) and mjml's version. So it is kept under a digest of those, as a file in the cache folder
// given (the data folder's `cache/`) for the next start, and in memory for a process that builds
// the app more than once. A changed template, a new mjml or a damaged file means another digest or
// an unreadable entry: compiled again.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./mjml-compile.worker.mjs', import.meta.url);
const inProcess = new Map<string, Map<string, string>>();

/** HTML for each of `names` (`<dir>/<name>.mjml`), by name. Throws on the first that does not compile. */
export async function compileTemplates(dir: string, names: readonly string[], cacheDir: string | null): Promise<Map<string, string>> {
  const digest = await sourcesDigest(dir);
  const fromDisk = cacheDir ? await readCache(cacheDir, digest, names) : null;
  const compiled = fromDisk ?? inProcess.get(digest) ?? (await compileMjml(dir, names));
  inProcess.set(digest, compiled);
  // A cache that cannot be written (a full disk) costs the next start two seconds, nothing more.
  if (cacheDir && !fromDisk) await writeCache(cacheDir, digest, compiled).catch(() => {});
  return compiled;
}

async function sourcesDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  for (const pkg of ['mjml/package.json', 'mjml-core/package.json']) hash.update(`${pkg}@${(require(pkg) as { version: string }).version}\0`);
  hash.update(await readFile(WORKER));
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.name.endsWith('.txt'));
  const paths = files.map((e) => path.join(e.parentPath ?? e.path, e.name)).sort();
  for (const file of paths) hash.update(`\0${path.relative(dir, file)}\0`).update(await readFile(file));
  return hash.digest('hex').slice(0, 32);
}

const cacheFile = (cacheDir: string, digest: string) => path.join(cacheDir, `templates-${digest}.json`);

async function readCache(cacheDir: string, digest: string, names: readonly string[]): Promise<Map<string, string> | null> {
  try {
    const entries = JSON.parse(await readFile(cacheFile(cacheDir, digest), 'utf8')) as Record<string, unknown>;
    if (!names.every((n) => typeof entries[n] === 'string')) return null;
    return new Map(names.map((n) => [n, entries[n] as string]));
  } catch {
    return null;
  }
}

async function writeCache(cacheDir: string, digest: string, compiled: Map<string, string>): Promise<void> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  // Entries of former sources are of no further use.
  for (const f of await readdir(cacheDir)) {
    if (/^templates-[0-9a-f]+\.json$/.test(f) && f !== path.basename(cacheFile(cacheDir, digest))) await rm(path.join(cacheDir, f), { force: true });
  }
  // Written aside then renamed: a process reading it meanwhile, or after a crash, sees all or nothing.
  const tmp = `${cacheFile(cacheDir, digest)}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(Object.fromEntries(compiled)), { mode: 0o600 });
    await rename(tmp, cacheFile(cacheDir, digest));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function compileMjml(dir: string, names: readonly string[]): Promise<Map<string, string>> {
  const files = names.map((n) => path.join(dir, `${n}.mjml`));
  const worker = new Worker(WORKER, { workerData: { files } });
  const results = await new Promise<Array<{ file: string; html?: string; error?: string }>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the template compiler stopped (exit code ${code})`)));
  });
  await worker.terminate();
  const compiled = new Map<string, string>();
  for (const [i, r] of results.entries()) {
    if (r.error !== undefined) throw new Error(`template ${path.basename(r.file)} does not compile: ${r.error}`);
    compiled.set(names[i]!, r.html!);
  }
  return compiled;
}
