// Accuracy benchmark over a corpus of real and sample mail (see the corpus MANIFEST.md): reply
// extraction against each case's `visible_text`, classification against its `kind`, and how many
// messages parse at all. It reads the cases in place and prints figures; it never fails a build.
//   npm run bench:corpus -- ../shared/corpus
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { toInboundMail } from '../../src/mail/parse.ts';
import { classify } from '../../src/mail/classify.ts';
import { htmlToText } from '../../src/mail/html-text.ts';
import { extractReply } from '../../src/mail/reply-text.ts';

interface Expected {
  source?: string;
  origin?: string;
  kind?: string;
  visible_text?: string;
  language?: string | null;
}

interface Tally {
  ok: number;
  total: number;
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node --import tsx tests/bench/corpus.bench.ts <corpus-dir>');
  process.exit(0);
}

const casesDir = path.join(path.resolve(root), 'cases');
const ids = await readdir(casesDir).then(
  (names) => names.sort(),
  (err: Error) => {
    console.error(`cannot read ${casesDir}: ${err.message}`);
    process.exit(0);
  },
);

let parsed = 0;
const parseFailures: string[] = [];
const replyByLang = new Map<string, Tally>();
const replyFailures: string[] = [];
const confusion = { bounce: { tp: 0, fp: 0, fn: 0 }, auto_reply: { tp: 0, fp: 0, fn: 0 } };
const humanFlagged: string[] = [];
const missedAutomated: string[] = [];

const tally = (map: Map<string, Tally>, key: string, ok: boolean) => {
  const t = map.get(key) ?? { ok: 0, total: 0 };
  t.total++;
  if (ok) t.ok++;
  map.set(key, t);
};

for (const id of ids) {
  const dir = path.join(casesDir, id);
  let expected: Expected;
  try {
    expected = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as Expected;
  } catch {
    continue;
  }
  try {
    const raw = await readFile(path.join(dir, 'message.eml'));
    const p = await simpleParser(raw, { skipHtmlToText: true, skipImageLinks: true, skipTextToHtml: true, keepCidLinks: true });
    const mail = toInboundMail(p, raw);
    const hasText = typeof p.text === 'string' && p.text.trim() !== '';
    const body = hasText ? mail.text : mail.html ? htmlToText(mail.html) : '';
    const reply = extractReply(body, mail.from?.name);
    const verdict = classify(mail, null);
    parsed++;

    if (typeof expected.visible_text === 'string') {
      // talon's HTML fixtures are compared with all whitespace removed, as talon's own tests do.
      const html = Boolean(expected.source?.includes('talon')) && (!hasText || /\.html?$/i.test(expected.origin ?? ''));
      const norm = (s: string) => (html ? s.replace(/\s+/g, '') : s.trim());
      const ok = norm(reply) === norm(expected.visible_text);
      tally(replyByLang, expected.language ?? '-', ok);
      if (!ok) replyFailures.push(id);
    }

    for (const kind of ['bounce', 'auto_reply'] as const) {
      const want = expected.kind === kind;
      const got = verdict.kind === kind;
      if (want && got) confusion[kind].tp++;
      else if (got) confusion[kind].fp++;
      else if (want) confusion[kind].fn++;
    }
    const automated = verdict.kind === 'bounce' || verdict.kind === 'auto_reply';
    if ((expected.kind === 'reply' || expected.kind === 'new') && automated) humanFlagged.push(`${id} (${verdict.kind})`);
    if ((expected.kind === 'bounce' || expected.kind === 'auto_reply') && !automated) missedAutomated.push(`${id} (${verdict.kind})`);
  } catch (err) {
    parseFailures.push(`${id}: ${(err as Error).message}`);
  }
}

const pct = (n: number, d: number) => (d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const total = [...replyByLang.values()].reduce((a, t) => ({ ok: a.ok + t.ok, total: a.total + t.total }), { ok: 0, total: 0 });

console.log(`corpus: ${casesDir} (${ids.length} cases)\n`);
console.log('reply extraction (exact match / cases with visible_text)');
for (const [lang, t] of [...replyByLang.entries()].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))) {
  console.log(`  ${lang.padEnd(4)} ${String(t.ok).padStart(4)} / ${String(t.total).padEnd(4)} ${pct(t.ok, t.total)}`);
}
console.log(`  all  ${String(total.ok).padStart(4)} / ${String(total.total).padEnd(4)} ${pct(total.ok, total.total)}\n`);

console.log('classification        precision   recall    F1     (tp/fp/fn)');
for (const kind of ['bounce', 'auto_reply'] as const) {
  const c = confusion[kind];
  const f1 = c.tp === 0 ? '  -  ' : ((2 * c.tp) / (2 * c.tp + c.fp + c.fn)).toFixed(3);
  console.log(`  ${kind.padEnd(19)} ${pct(c.tp, c.tp + c.fp)}    ${pct(c.tp, c.tp + c.fn)}   ${f1}   (${c.tp}/${c.fp}/${c.fn})`);
}
console.log(`  reply/new flagged automated: ${humanFlagged.length}${humanFlagged.length ? ' — ' + humanFlagged.join(', ') : ''}`);
console.log(`  automated missed: ${missedAutomated.length}${missedAutomated.length ? ' — ' + missedAutomated.slice(0, 30).join(', ') : ''}\n`);

console.log(`parse success: ${parsed} / ${parsed + parseFailures.length} ${pct(parsed, parsed + parseFailures.length)}`);
for (const f of parseFailures.slice(0, 30)) console.log(`  failed: ${f}`);
if (replyFailures.length) {
  console.log(`\nreply mismatches (${replyFailures.length}${replyFailures.length > 30 ? ', first 30' : ''}):`);
  for (const id of replyFailures.slice(0, 30)) console.log(`  ${id}`);
}
