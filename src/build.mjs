// `npm run build`, and npm's `prepare` after `npm ci`: compiles src/ and migrations/ into dist/ with
// TypeScript, links templates/ and package.json into dist/ (the code finds both relative to itself),
// then writes the digest of the sources it compiled (compiled.mjs), which is what makes dist/ run.
// `--if-possible` (prepare): an install without TypeScript (no dev dependencies) or sources that do
// not compile leave no dist/, and Guichet runs its sources.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DIST, ROOT, sourcesDigest, STAMP } from './compiled.mjs';

const lenient = process.argv.includes('--if-possible');

function tscBin() {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('typescript/package.json');
  return path.join(path.dirname(pkg), JSON.parse(readFileSync(pkg, 'utf8')).bin.tsc);
}

try {
  // Read before compiling: a source edited during the build leaves a stamp that matches nothing.
  const digest = sourcesDigest();
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [tscBin(), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  symlinkSync('../templates', path.join(DIST, 'templates'));
  symlinkSync('../package.json', path.join(DIST, 'package.json'));
  writeFileSync(STAMP, `${digest}\n`);
} catch (err) {
  rmSync(DIST, { recursive: true, force: true });
  if (!lenient) throw err;
  console.warn(`guichet: not compiled (${err.code === 'MODULE_NOT_FOUND' ? 'TypeScript is not installed' : err.message.split('\n')[0]}); Guichet runs its TypeScript sources, which start slower.`);
}
