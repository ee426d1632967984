#!/usr/bin/env node
// The `guichet` command. Guichet runs its TypeScript sources directly through tsx's loader, so a
// clone works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
