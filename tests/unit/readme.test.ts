// The README shows the workflow diagram generated from the rules themselves; this keeps them equal.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { mermaidDiagram } from '../../src/tickets/workflow.ts';

it('README carries the current workflow diagram', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain('```mermaid\n' + mermaidDiagram().trim() + '\n```');
});
