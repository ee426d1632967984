// The order test files start in. Without recorded durations (a fresh clone, as in CI) vitest starts
// the largest files first, and a long file, one that mostly waits on servers kept down or on a
// process killed and started again, could start last and run alone at the end. These are the
// longest files as measured on 2026-11-30, longest first: they start first, the rest follows in
// vitest's own order. Only the order changes, never what runs.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST = ['outages', 'loops', 'crash', 'mail-edges', 'admin-browser', 'ops', 'intake', 'authentication', 'cli', 'workflow', 'mime-fuzz', 'admin'];

const rank = (spec: TestSpecification) => {
  const i = LONGEST.findIndex((name) => spec.moduleId.endsWith(`/tests/integration/${name}.test.ts`));
  return i < 0 ? LONGEST.length : i;
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map(({ spec }) => spec);
  }
}
