#!/usr/bin/env node
// The `guichet` command. It runs the code `npm run build` compiled when that is current, else the
// TypeScript sources through tsx's loader, so a clone or an edited checkout works without a build
// step (compiled.mjs).
import { pathToFileURL } from 'node:url';
import { compiled } from './compiled.mjs';

const built = compiled('src/cli.ts');
let cli;
if (built) {
  cli = await import(pathToFileURL(built).href);
} else {
  (await import('tsx/esm/api')).register();
  cli = await import('./cli.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
