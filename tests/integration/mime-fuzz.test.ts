// Hard MIME, fuzzed (issue 9, item 11): a property test (fast-check) that builds thousands of
// messages by mutating well-formed ones and runs them through the REAL intake — `handleBatch`, the
// entry the IMAP poller and the SMTP receiver use, on the prepare thread, into a real database and
// data folder — in chunks, two chunks handed over at once as the poller does.
//
// What is generated (all from plain data, so fast-check can shrink a failure to a small message):
// - well-formed bases: text/plain (8bit, quoted-printable, base64), multipart/alternative, mixed
//   with attachments, multipart nesting 1–50 deep, a forwarded message/rfc822, multipart/report
//   (a DSN), replies ([#N] tag, In-Reply-To), bodies in odd charsets;
// - header mutations: missing, repeated, folded oddly (blank continuation lines, a fold without
//   whitespace, a fold right after the colon), huge (100–200 KB on one line or folded, up to 20 copies), 8-bit and
//   invalid UTF-8 bytes, bad encoded-words (`=?x?Q?…?=`, bad base64, unterminated), lines without a
//   colon, odd Content-Type / Content-Transfer-Encoding / Content-Disposition / MIME-Version values;
// - structure mutations: boundary declared but not used (or the reverse), no boundary parameter,
//   the same boundary at every level, unclosed parts, a fake boundary in the preamble or epilogue,
//   no parts, a part without headers;
// - transfer encodings: broken base64, broken quoted-printable, unknown encodings;
// - charsets: unknown, mislabelled (latin-1 said UTF-8 and the reverse), ISO-2022-JP, UTF-16 LE/BE
//   without BOM, UTF-7;
// - bytes: NUL bytes, random bytes overwritten, bare LF / bare CR / mixed line endings, truncation
//   at a random byte.
// Every message carries a unique id (a first header line, or appended bytes), so that no two are
// the same bytes and the sha256 dedupe hides none of them.
//
// Properties, per message: handleBatch does not throw (it may only when storage fails, and nothing
// here makes storage fail); it yields exactly one inbound_message row of its own; the raw bytes are
// on disk byte for byte (dataDir/raw/<raw_path>); the row is not `pending`, it is processed / held /
// ignored, or quarantined / failed with a non-empty reason; the result handed back says the same.
// Afterwards the process still works: a well-formed mail becomes a ticket.
//
// Both engines (GUICHET_TEST_ENGINES narrows them): SQLite gets the bigger run (50 runs, about
// 1,950 messages, 53 MB, ~24 s), PostgreSQL a smaller one (20 runs, about 630 messages, ~17 s: its
// statements cost round trips), so the file stays under a minute on the 2-core development machine.
// FUZZ_RUNS=<factor> scales both; FUZZ_STATS=1 prints what the run exercised (outcomes per state).
//
// Bugs the fuzzer found keep a test of their own below, with the smallest message that showed them.
//
// Reproducible: the seed is fixed (FUZZ_SEED overrides it). On failure fast-check prints the seed
// and the path of the shrunk counterexample (shrinking may take half a minute); replay exactly that
// case with
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> GUICHET_TEST_ENGINES=<engine> \
//     npx vitest run --config tests/vitest.config.ts tests/integration/mime-fuzz.test.ts -t 'stores every'
// The failing chunk's bytes (escaped, first 3,000 of each message) are in the error message.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import type { IntakeItem } from '../../src/mail/intake.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail, SUPPORT } from '../support/guichet.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const PATH = process.env.FUZZ_PATH || undefined;
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
/** Runs (each one or two chunks of messages) per engine. */
const RUNS = { sqlite: Math.round(50 * SCALE), postgres: Math.round(20 * SCALE) } as const;
/** A chunk that takes longer than this is a hang. */
const CHUNK_BUDGET_MS = 20_000;

const engines = await testEngines();

// ---------------------------------------------------------------------------------------------
// The message model: a tree of parts with explicit header lines, rendered to bytes.

type Hdr = { name: string | null; value: Buffer }; // name null: a raw line (no colon)
type Body =
  | { kind: 'leaf'; data: Buffer }
  | { kind: 'multi'; boundary: string; parts: Node[]; preamble: Buffer; epilogue: Buffer; closed: boolean }
  | { kind: 'message'; inner: Node };
interface Node {
  headers: Hdr[];
  body: Body;
}

const b = (s: string) => Buffer.from(s, 'utf8');
const l1 = (s: string) => Buffer.from(s, 'latin1');
const h = (name: string, value: string | Buffer): Hdr => ({ name, value: typeof value === 'string' ? b(value) : value });

function serialize(n: Node): Buffer {
  const out: Buffer[] = [];
  for (const { name, value } of n.headers) out.push(name === null ? value : Buffer.concat([l1(`${name}: `), value]), l1('\r\n'));
  out.push(l1('\r\n'));
  const body = n.body;
  if (body.kind === 'leaf') out.push(body.data);
  else if (body.kind === 'message') out.push(serialize(body.inner));
  else {
    out.push(body.preamble);
    for (const part of body.parts) out.push(l1(`\r\n--${body.boundary}\r\n`), serialize(part));
    if (body.closed) out.push(l1(`\r\n--${body.boundary}--\r\n`));
    out.push(body.epilogue);
  }
  return Buffer.concat(out);
}

function nodes(n: Node, acc: Node[] = []): Node[] {
  acc.push(n);
  if (n.body.kind === 'multi') for (const p of n.body.parts) nodes(p, acc);
  else if (n.body.kind === 'message') nodes(n.body.inner, acc);
  return acc;
}

function setHeader(n: Node, name: string, value: string | Buffer): void {
  const i = n.headers.findIndex((x) => x.name?.toLowerCase() === name.toLowerCase());
  const hdr = h(name, value);
  if (i >= 0) n.headers[i] = hdr;
  else n.headers.push(hdr);
}

function wrap76(s: string): string {
  return s.replace(/.{1,76}/g, '$&\r\n');
}

function qpEncode(bytes: Buffer): string {
  let out = '';
  let line = 0;
  for (const c of bytes) {
    const piece = c === 0x0a ? '\n' : c === 0x0d ? '\r' : c < 0x20 || c > 0x7e || c === 0x3d ? `=${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c);
    if (piece === '\n' || piece === '\r') {
      out += piece;
      line = 0;
      continue;
    }
    if (line + piece.length > 75) {
      out += '=\r\n';
      line = 0;
    }
    out += piece;
    line += piece.length;
  }
  return out;
}

type Cte = '8bit' | 'quoted-printable' | 'base64';
function leaf(type: string, data: Buffer, cte: Cte, extra: Hdr[] = []): Node {
  const encoded = cte === 'base64' ? l1(wrap76(data.toString('base64'))) : cte === 'quoted-printable' ? l1(qpEncode(data)) : data;
  return { headers: [h('Content-Type', type), h('Content-Transfer-Encoding', cte), ...extra], body: { kind: 'leaf', data: encoded } };
}

function multi(subtype: string, boundary: string, parts: Node[], params = ''): Node {
  return {
    headers: [h('Content-Type', `multipart/${subtype}; boundary="${boundary}"${params}`)],
    body: { kind: 'multi', boundary, parts, preamble: l1('This is a multi-part message in MIME format.'), epilogue: l1(''), closed: true },
  };
}

// ---------------------------------------------------------------------------------------------
// Well-formed bases, as plain data.

const SENDERS = [
  'Ada Lovelace <ada@example.com>',
  'bob@example.org',
  '"Dupont, Jean" <jean.dupont@exemple.fr>',
  '=?utf-8?B?w4lsb8Ovc2U=?= <eloise@example.fr>',
  '=?iso-8859-1?Q?Ren=E9?= <rene@example.be>',
  'carol@stranger.test (Carol)',
];
const ODD_SENDERS = [
  'MAILER-DAEMON@mx.example.com',
  `Support <${SUPPORT}>`,
  'a@example.com, b@example.com',
  'undisclosed-recipients:;',
  'not an address',
  '<>',
  '',
];
const SUBJECTS = [
  'The export is empty',
  'Re: [#1] The export is empty',
  'RE: Fwd: [#3] Facture',
  'Automatic reply: holidays',
  '=?utf-8?Q?La_page_ne_s=E2=80=99affiche_plus?=',
  '=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=',
  'Absence: the import fails since Monday',
  '',
];
const TEXTS = [
  'Hello,\r\nthe export is empty since Monday.\r\n\r\nAda',
  'Bonjour,\r\n\r\nla page « Factures » ne s’affiche plus.\r\n\r\n-- \r\nJean',
  'Thanks!\r\n\r\nOn Mon, 1 Dec 2026, Support wrote:\r\n> [#1] We received your request\r\n> Ticket #1',
  'Type: bug\r\nPriority: critical\r\nProject: SHOP\r\n\r\nIt crashes.',
  'こんにちは、エクスポートが空です。',
  '',
];

const textArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TEXTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
);

const topArb = fc.record({
  from: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SENDERS) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_SENDERS) }),
  subject: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SUBJECTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }),
  messageId: fc.oneof(fc.constant(null), fc.nat({ max: 400 }).map((n) => `<m${n}@example.com>`), fc.constantFrom('<>', 'no-angle@x', '<a b@c>', '<<x@y>>')),
  inReplyTo: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 400 }).map((n) => `<m${n}@example.com>`) }),
  autoSubmitted: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const CHARSETS = ['iso-2022-jp', 'utf-16le-nobom', 'utf-16be-nobom', 'latin1-as-utf8', 'utf8-as-latin1', 'unknown', 'utf-7', 'shift_jis-real', 'empty-label'] as const;
const baseArb = fc.oneof(
  fc.record({ t: fc.constant('plain' as const), text: textArb, cte: fc.constantFrom<Cte>('8bit', 'quoted-printable', 'base64') }),
  fc.record({ t: fc.constant('alternative' as const), text: textArb }),
  fc.record({ t: fc.constant('attachment' as const), text: textArb, bytes: fc.uint8Array({ maxLength: 600 }), name: fc.constantFrom('report.pdf', 'image.png', '=?utf-8?Q?r=C3=A9sum=C3=A9?=.txt', '../../etc/passwd', '') }),
  fc.record({ t: fc.constant('nested' as const), text: textArb, depth: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ t: fc.constant('forwarded' as const), text: textArb, innerText: textArb }),
  fc.record({ t: fc.constant('report' as const), status: fc.constantFrom('5.1.1', '4.4.1', 'garbage'), returned: fc.nat({ max: 400 }) }),
  fc.record({ t: fc.constant('charset' as const), charset: fc.constantFrom(...CHARSETS), text: textArb }),
);
type Base = typeof baseArb extends fc.Arbitrary<infer T> ? T : never;
type Top = typeof topArb extends fc.Arbitrary<infer T> ? T : never;

// ISO-2022-JP for こんにちは, and Shift_JIS for the same.
const ISO2022JP = Buffer.from([0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x24, 0x4b, 0x24, 0x41, 0x24, 0x4f, 0x1b, 0x28, 0x42]);
const SHIFT_JIS = Buffer.from([0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd]);

function charsetLeaf(kind: (typeof CHARSETS)[number], text: string): Node {
  const body = text || 'Hello';
  switch (kind) {
    case 'iso-2022-jp': return leaf('text/plain; charset=ISO-2022-JP', Buffer.concat([ISO2022JP, l1('\r\n'), ISO2022JP]), '8bit');
    case 'shift_jis-real': return leaf('text/plain; charset=shift_jis', SHIFT_JIS, 'base64');
    case 'utf-16le-nobom': return leaf('text/plain; charset=utf-16', Buffer.from(body, 'utf16le'), 'base64');
    case 'utf-16be-nobom': return leaf('text/plain; charset=UTF-16', Buffer.from(body, 'utf16le').swap16(), '8bit');
    case 'latin1-as-utf8': return leaf('text/plain; charset=utf-8', l1(`Caf\u00e9 cr\u00e8me ${body}`), '8bit');
    case 'utf8-as-latin1': return leaf('text/plain; charset=iso-8859-1', b(`Café ${body}`), 'quoted-printable');
    case 'unknown': return leaf('text/plain; charset=x-unknown-42', b(body), '8bit');
    case 'utf-7': return leaf('text/plain; charset=utf-7', l1('Hi +AGEAYgBj- and +ZeVnLIqe-'), '7bit' as Cte);
    case 'empty-label': return leaf('text/plain; charset=', b(body), '8bit');
  }
}

function buildBase(base: Base, top: Top): Node {
  let root: Node;
  switch (base.t) {
    case 'plain':
      root = leaf('text/plain; charset=utf-8', b(base.text), base.cte);
      break;
    case 'alternative':
      root = multi('alternative', 'alt-1', [
        leaf('text/plain; charset=utf-8', b(base.text), 'quoted-printable'),
        leaf('text/html; charset=utf-8', b(`<html><body><p>${base.text}</p><img src="cid:logo"></body></html>`), 'base64'),
      ]);
      break;
    case 'attachment':
      root = multi('mixed', 'mix-1', [
        leaf('text/plain; charset=utf-8', b(base.text), '8bit'),
        leaf(`application/octet-stream; name="${base.name}"`, Buffer.from(base.bytes), 'base64', [h('Content-Disposition', `attachment; filename="${base.name}"`)]),
        leaf('image/png', Buffer.from(base.bytes.slice(0, 40)), 'base64', [h('Content-ID', '<logo>'), h('Content-Disposition', 'inline')]),
      ]);
      break;
    case 'nested': {
      let inner: Node = leaf('text/plain; charset=utf-8', b(base.text), '8bit');
      for (let d = base.depth; d >= 1; d--) inner = multi(d % 2 ? 'mixed' : 'related', `nest-${d}`, [leaf('text/plain', b(`level ${d}`), '8bit'), inner]);
      root = inner;
      break;
    }
    case 'forwarded': {
      const inner: Node = {
        headers: [h('From', 'zoe@example.net'), h('Subject', 'Original'), h('Message-ID', '<orig@example.net>'), h('MIME-Version', '1.0'), h('Content-Type', 'text/plain; charset=utf-8')],
        body: { kind: 'leaf', data: b(base.innerText) },
      };
      root = multi('mixed', 'fwd-1', [leaf('text/plain; charset=utf-8', b(base.text), '8bit'), { headers: [h('Content-Type', 'message/rfc822')], body: { kind: 'message', inner } }]);
      break;
    }
    case 'report':
      root = multi('report', 'rep-1', [
        leaf('text/plain', b('This is the mail system. Your message could not be delivered.'), '8bit'),
        leaf('message/delivery-status', b(`Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; ada@example.com\r\nAction: failed\r\nStatus: ${base.status}`), '8bit' as Cte),
        { headers: [h('Content-Type', 'text/rfc822-headers')], body: { kind: 'leaf', data: b(`From: ${SUPPORT}\r\nMessage-ID: <m${base.returned}@help.example.test>\r\n`) } },
      ], '; report-type=delivery-status');
      break;
    case 'charset':
      root = charsetLeaf(base.charset, base.text);
      break;
  }
  const head: Hdr[] = [h('From', top.from), h('To', SUPPORT), h('Subject', top.subject), h('Date', 'Mon, 1 Dec 2026 10:00:00 +0100')];
  if (top.messageId !== null) head.push(h('Message-ID', top.messageId));
  if (top.inReplyTo !== null) head.push(h('In-Reply-To', top.inReplyTo), h('References', top.inReplyTo));
  if (top.autoSubmitted) head.push(h('Auto-Submitted', 'auto-replied'));
  head.push(h('MIME-Version', '1.0'));
  root.headers = [...head, ...root.headers];
  return root;
}

// ---------------------------------------------------------------------------------------------
// Mutations, as plain data; `at` picks a node (depth-first), `i` a header, modulo their counts.

const BAD_WORDS = [
  '=?x?Q?broken?=',
  '=?utf-8?B?!!!not base64!!!?=',
  '=?utf-8?Q?unterminated',
  '=?utf-8?Q?=E9=?=',
  '=??Q?empty-charset?=',
  '=?utf-8?X?unknown-encoding?=',
  '=?utf-8*fr?Q?with-language?=',
  '=?utf-16?B?AGEAYgBj?=',
  '=?iso-2022-jp?B?GyRC?=',
  '=?utf-8?Q?a?= =?utf-8?Q?b?==?utf-8?B?YWJj?=',
  '=?' + 'u'.repeat(300) + '?Q?long-charset?=',
];
const JUNK_LINES = ['no colon on this line', ': empty name', 'Subject : spaced before the colon', ' leading-space: folded onto nothing', 'X-\u0000-Nul: y', '\u00e9t\u00e9: 8-bit name', '-- not a boundary'];
const ODD_VALUES: Array<[string, string]> = [
  ['Content-Type', 'multipart/mixed'],
  ['Content-Type', 'multipart/alternative; boundary='],
  ['Content-Type', 'text/plain; charset="utf-8'],
  ['Content-Type', 'application/x-unknown; name=*'],
  ['Content-Type', ';;;'],
  ['Content-Type', 'message/rfc822'],
  ['Content-Type', 'message/partial; id="x"; number=2; total=3'],
  ['Content-Type', 'text/html; charset=utf-8'],
  ['Content-Transfer-Encoding', 'x-uuencode'],
  ['Content-Transfer-Encoding', 'binhex'],
  ['Content-Transfer-Encoding', 'BASE64'],
  ['Content-Transfer-Encoding', '7bitt'],
  ['Content-Transfer-Encoding', ''],
  ['Content-Disposition', 'attachment; filename*=utf-8\'\'%E9%ZZ.txt'],
  ['Content-Disposition', 'attachment; filename*0="a"; filename*5="b"'],
  ['MIME-Version', '2.0 (future)'],
  ['Date', 'not a date'],
  ['Message-ID', '<a\u0000b@example.com>'],
  ['From', 'a@b.c, d@e.f, g@h.i'],
  ['References', '<' + 'r'.repeat(2000) + '@x>'],
];
const BROKEN_BASE64 = ['!!!!', 'YWJj=ZGVm', 'YW', 'YWJjZA', '====', 'YWJj\r\n\r\n-- \r\nZGVm', '\u00ff\u00fe\u0000'];
const BROKEN_QP = ['=ZZ', 'soft break at the end=', '=\r', '=E9=', 'a=0', '=\r\n=\r\n=', 'x'.repeat(5000)];

const HEADER_NAMES = ['Subject', 'From', 'References', 'X-Huge', 'Content-Type', 'To'] as const;

const mutationArb = fc.oneof(
  fc.record({ t: fc.constant('dropHeader' as const), at: fc.nat(), i: fc.nat() }),
  fc.record({ t: fc.constant('dropTopHeaders' as const), keep: fc.nat({ max: 3 }) }),
  fc.record({ t: fc.constant('dupHeader' as const), at: fc.nat(), i: fc.nat(), times: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ t: fc.constant('fold' as const), at: fc.nat(), i: fc.nat(), style: fc.nat({ max: 3 }), pos: fc.nat() }),
  fc.record({ t: fc.constant('huge' as const), which: fc.constantFrom(...HEADER_NAMES), kb: fc.integer({ min: 100, max: 200 }), folded: fc.boolean() }),
  fc.record({ t: fc.constant('eightBit' as const), at: fc.nat(), i: fc.nat(), pos: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8, min: 0x80, max: 0xff }) }),
  fc.record({ t: fc.constant('badWord' as const), at: fc.nat(), which: fc.constantFrom('Subject', 'From', 'filename'), word: fc.constantFrom(...BAD_WORDS) }),
  fc.record({ t: fc.constant('junkLine' as const), at: fc.nat(), line: fc.constantFrom(...JUNK_LINES) }),
  fc.record({ t: fc.constant('oddValue' as const), at: fc.nat(), pair: fc.constantFrom(...ODD_VALUES) }),
  fc.record({ t: fc.constant('boundary' as const), at: fc.nat(), style: fc.constantFrom('declaredOther', 'noParam', 'empty', 'huge', 'sameEverywhere', 'unclosed', 'fakeInPreamble', 'fakeInEpilogue', 'noParts', 'headerlessPart') }),
  fc.record({ t: fc.constant('base64' as const), at: fc.nat(), junk: fc.constantFrom(...BROKEN_BASE64) }),
  fc.record({ t: fc.constant('qp' as const), at: fc.nat(), junk: fc.constantFrom(...BROKEN_QP) }),
  fc.record({ t: fc.constant('charset' as const), at: fc.nat(), charset: fc.constantFrom(...CHARSETS) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutate(root: Node, m: Mutation): void {
  const all = nodes(root);
  const node = 'at' in m ? all[m.at % all.length]! : root;
  const header = (i: number) => (node.headers.length ? node.headers[i % node.headers.length]! : null);
  switch (m.t) {
    case 'dropHeader':
      if (node.headers.length) node.headers.splice(m.i % node.headers.length, 1);
      return;
    case 'dropTopHeaders':
      root.headers = root.headers.slice(0, m.keep);
      return;
    case 'dupHeader': {
      const x = header(m.i);
      if (x) for (let k = 0; k < m.times; k++) node.headers.push({ ...x, value: Buffer.concat([x.value, l1(k % 2 ? ` (copy ${k})` : '')]) });
      return;
    }
    case 'fold': {
      const x = header(m.i);
      if (!x) return;
      const at = m.pos % (x.value.length + 1);
      const fold = ['\r\n ', '\r\n\t\r\n ', '\r\n', '\r\n \r\n\t'][m.style]!;
      x.value = m.style === 3 ? Buffer.concat([l1(fold), x.value]) : Buffer.concat([x.value.subarray(0, at), l1(fold), x.value.subarray(at)]);
      return;
    }
    case 'huge': {
      const unit = m.which === 'References' ? '<a-long-reference-0123456789@example.com> ' : m.which === 'From' ? 'someone@example.com, ' : m.which === 'Content-Type' ? 'x=y; ' : 'word ';
      let value = unit.repeat(Math.ceil((m.kb * 1024) / unit.length));
      if (m.which === 'Content-Type') value = `text/plain; ${value}charset=utf-8`;
      if (m.folded) value = value.replace(/(.{998})/g, '$1\r\n ');
      if (m.which === 'X-Huge') root.headers.push(h('X-Huge', value));
      else setHeader(root, m.which, value);
      return;
    }
    case 'eightBit': {
      const x = header(m.i);
      if (!x) return;
      const at = m.pos % (x.value.length + 1);
      x.value = Buffer.concat([x.value.subarray(0, at), Buffer.from(m.bytes), x.value.subarray(at)]);
      return;
    }
    case 'badWord':
      if (m.which === 'filename') setHeader(node, 'Content-Disposition', `attachment; filename="${m.word}"`);
      else setHeader(root, m.which, m.which === 'From' ? `${m.word} <ada@example.com>` : `Re: ${m.word} [#2]`);
      return;
    case 'junkLine': {
      const at = node.headers.length ? m.at % (node.headers.length + 1) : 0;
      node.headers.splice(at, 0, { name: null, value: l1(m.line) });
      return;
    }
    case 'oddValue':
      setHeader(node, m.pair[0], m.pair[1]);
      return;
    case 'boundary': {
      const multis = all.filter((n) => n.body.kind === 'multi');
      if (!multis.length) return;
      const target = multis[m.at % multis.length]!;
      const body = target.body as Extract<Body, { kind: 'multi' }>;
      switch (m.style) {
        case 'declaredOther': setHeader(target, 'Content-Type', 'multipart/mixed; boundary="not-the-one-used"'); return;
        case 'noParam': setHeader(target, 'Content-Type', 'multipart/mixed'); return;
        case 'empty': setHeader(target, 'Content-Type', 'multipart/mixed; boundary=""'); body.boundary = ''; return;
        case 'huge': body.boundary = 'B'.repeat(5000); setHeader(target, 'Content-Type', `multipart/mixed; boundary="${body.boundary}"`); return;
        case 'sameEverywhere':
          for (const n of multis) {
            (n.body as Extract<Body, { kind: 'multi' }>).boundary = 'same';
            setHeader(n, 'Content-Type', 'multipart/mixed; boundary=same');
          }
          return;
        case 'unclosed': body.closed = false; return;
        case 'fakeInPreamble': body.preamble = l1(`--${body.boundary}\r\nContent-Type: text/plain\r\n\r\nfake part in the preamble\r\n--${body.boundary}--`); return;
        case 'fakeInEpilogue': body.epilogue = l1(`--${body.boundary}\r\n\r\nafter the end\r\n--${body.boundary}`); return;
        case 'noParts': body.parts = []; return;
        case 'headerlessPart': body.parts.push({ headers: [], body: { kind: 'leaf', data: l1('a part with no headers') } }); return;
      }
      return;
    }
    case 'base64':
    case 'qp': {
      const leaves = all.filter((n) => n.body.kind === 'leaf');
      const target = leaves[m.at % leaves.length];
      if (!target) return;
      setHeader(target, 'Content-Transfer-Encoding', m.t === 'base64' ? 'base64' : 'quoted-printable');
      target.body = { kind: 'leaf', data: l1(m.junk) };
      return;
    }
    case 'charset': {
      const leaves = all.filter((n) => n.body.kind === 'leaf');
      const target = leaves[m.at % leaves.length];
      if (!target) return;
      const replacement = charsetLeaf(m.charset, 'Bonjour');
      target.headers = [...target.headers.filter((x) => !/^content-(type|transfer-encoding)$/i.test(x.name ?? '')), ...replacement.headers];
      target.body = replacement.body;
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-level damage, after rendering.

const bytesArb = fc.record({
  eol: fc.constantFrom('crlf', 'crlf', 'crlf', 'crlf', 'crlf', 'lf', 'cr', 'mixed'),
  nuls: fc.array(fc.nat(), { maxLength: 3 }),
  overwrite: fc.array(fc.record({ pos: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 }),
  truncate: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  idAtEnd: fc.boolean(),
});

const messageArb = fc.record({
  top: topArb,
  base: baseArb,
  mutations: fc.array(mutationArb, { maxLength: 5 }),
  bytes: bytesArb,
});
type MessageSpec = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

function render(spec: MessageSpec, id: string): Buffer {
  const root = buildBase(spec.base, spec.top);
  for (const m of spec.mutations) mutate(root, m);
  let raw = serialize(root);
  const { eol, nuls, overwrite, truncate, idAtEnd } = spec.bytes;
  if (eol !== 'crlf') {
    let k = 0;
    raw = l1(raw.toString('latin1').replace(/\r\n/g, () => (eol === 'lf' ? '\n' : eol === 'cr' ? '\r' : ['\n', '\r', '\r\n', '\n\r'][k++ % 4]!)));
  }
  if (raw.length) {
    for (const { pos, byte } of overwrite) raw[pos % raw.length] = byte;
    for (const pos of nuls) {
      const at = pos % (raw.length + 1);
      raw = Buffer.concat([raw.subarray(0, at), Buffer.from([0]), raw.subarray(at)]);
    }
    if (truncate !== null) raw = raw.subarray(0, truncate % raw.length);
  }
  // The unique id, last, so that no damage above can erase it: distinct ids, distinct bytes.
  const nl = eol === 'lf' ? '\n' : eol === 'cr' ? '\r' : '\r\n';
  return idAtEnd ? Buffer.concat([raw, l1(`${nl}X-Fuzz-Id: ${id}${nl}`)]) : Buffer.concat([l1(`X-Fuzz-Id: ${id}${nl}`), raw]);
}

/** One run: one or two chunks handed over at once (as the IMAP poller hands over the next one). */
const runArb = fc.array(fc.array(messageArb, { minLength: 1, maxLength: 50, size: 'max' }), { minLength: 1, maxLength: 2 });

// ---------------------------------------------------------------------------------------------

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const show = (bytes: Buffer) => JSON.stringify(bytes.subarray(0, 3000).toString('latin1')) + (bytes.length > 3000 ? ` … (${bytes.length} bytes)` : '');

function withBudget<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${CHUNK_BUDGET_MS} ms (a hang)`)), CHUNK_BUDGET_MS);
  });
  return Promise.race([promise, budget]).finally(() => clearTimeout(timer));
}

const ALLOWED = new Set(['processed', 'held', 'ignored', 'quarantined', 'failed']);

describe.each(engines)('hard MIME, fuzzed, on $name', (engine) => {
  let g: Guichet;
  let sent = 0; // messages handed to the intake so far
  let uid = 0;
  beforeAll(async () => {
    // Thousands of mutated mails from the same few senders: the bound on a sender's new tickets a day
    // would hold them after the twentieth, and the suite is about parsing, not about that bound.
    g = await buildGuichet({ databaseUrl: await engine.freshUrl(), overrides: { intake: { unknownSenders: 'accept', maxNewTicketsPerDay: 1_000_000 } } });
  });
  afterAll(async () => {
    await g?.stop();
    await engine.cleanup();
  });

  it('stores every mutated message raw and gives each one an outcome, without throwing', async () => {
    const rawDir = path.join(g.config.dataDir, 'raw');
    const db = g.database.db;
    const seen = new Set<string>();

    const property = fc.asyncProperty(runArb, async (run) => {
      const chunks = run
        .map((specs, c) =>
          specs.flatMap((spec) => {
            let raw = render(spec, `${engine.name}-${sent}`);
            while (seen.has(sha(raw))) raw = Buffer.concat([raw, l1('\n')]);
            seen.add(sha(raw));
            sent++;
            // Half the chunks come from an IMAP slot, half from the SMTP receiver / MTA pipe.
            const source = c % 2 === 0 ? { mailbox: 'INBOX', uidValidity: 1, uid: ++uid } : { mailbox: 'smtp', uidValidity: null, uid: null };
            return [{ raw, source } satisfies IntakeItem];
          }),
        )
        .filter((items) => items.length > 0);
      // Handed over together: the second is prepared while the first is applied.
      const handed = chunks.map((items, c) => withBudget(g.intake.handleBatch(items), `chunk ${c} of ${items.length}`));
      const settled = await Promise.allSettled(handed);
      for (const [c, s] of settled.entries()) {
        if (s.status === 'rejected') {
          throw new Error(`handleBatch threw on bad mail: ${(s.reason as Error).message}\nchunk:\n${chunks[c]!.map((it) => show(it.raw)).join('\n')}`);
        }
      }

      for (const [c, items] of chunks.entries()) {
        const results = (settled[c] as PromiseFulfilledResult<Awaited<ReturnType<Guichet['intake']['handleBatch']>>>).value;
        expect(results).toHaveLength(items.length);
        const ids = results.map((r) => r.inboundId);
        expect(new Set(ids).size, 'distinct bytes, distinct rows').toBe(items.length);
        const rows = await db.selectFrom('inbound_message').selectAll().where('id', 'in', ids).execute();
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const [i, item] of items.entries()) {
          const result = results[i]!;
          const row = byId.get(result.inboundId);
          const where = `message ${show(item.raw)}`;
          expect(result.duplicate, where).toBe(false);
          expect(row, `no inbound_message row for ${where}`).toBeDefined();
          expect(row!.sha256, where).toBe(sha(item.raw));
          const copies = await db.selectFrom('inbound_message').select((eb) => eb.fn.countAll<number>().as('n')).where('sha256', '=', row!.sha256).executeTakeFirstOrThrow();
          expect(Number(copies.n), `rows for ${where}`).toBe(1);
          const onDisk = await readFile(path.join(rawDir, row!.raw_path));
          expect(onDisk.equals(item.raw), `raw bytes on disk differ for ${where}`).toBe(true);
          expect(ALLOWED.has(row!.state), `state ${row!.state} (${row!.outcome}) for ${where}`).toBe(true);
          if (row!.state === 'quarantined' || row!.state === 'failed') {
            expect((row!.outcome ?? '').trim(), `${row!.state} without a reason: ${where}`).not.toBe('');
          }
          expect([result.state, result.outcome], where).toEqual([row!.state, row!.outcome ?? '']);
        }
      }
    });

    await fc.assert(property, { seed: SEED, path: PATH, numRuns: PATH ? 1 : RUNS[engine.name], endOnFailure: false });

    const total = await db.selectFrom('inbound_message').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(total.n)).toBe(sent);
    const pending = await db.selectFrom('inbound_message').select(['id', 'outcome']).where('state', '=', 'pending').execute();
    expect(pending).toEqual([]);
    if (process.env.FUZZ_STATS) {
      // What the run exercised: messages per state and the commonest outcomes (silent by default).
      const outcomes = await db.selectFrom('inbound_message').select(['state', 'outcome', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['state', 'outcome']).execute();
      const sizes = await db.selectFrom('inbound_message').select([(eb) => eb.fn.max('size').as('max'), (eb) => eb.fn.sum<number>('size').as('sum')]).executeTakeFirstOrThrow();
      console.log(`${engine.name}: ${sent} messages, ${sizes.sum} bytes (largest ${sizes.max})`);
      for (const o of outcomes.sort((a, b) => Number(b.n) - Number(a.n)).slice(0, 40)) console.log(`  ${o.n}\t${o.state}\t${(o.outcome ?? '').slice(0, 150)}`);
    }
  }, 120_000);

  // Found by the fuzzer (smallest reproducing message): on PostgreSQL the NUL reached the message_id
  // column, which refuses it, so the raw rows' transaction failed and the innocent mail of the same
  // chunk was not stored either; the IMAP poller would have fetched that chunk again forever.
  it('takes a message whose Message-ID holds a NUL byte without failing its chunk', async () => {
    const innocent = Buffer.from(clientMail({ from: 'bob@example.com', subject: 'Innocent', body: 'Hello.' }).raw);
    const nul = Buffer.from('From: ada@example.com\r\nMessage-ID: <a\u0000b@example.com>\r\n\r\nhi\r\n', 'latin1');
    const source = { mailbox: 'smtp', uidValidity: null, uid: null };
    const results = await g.intake.handleBatch([{ raw: innocent, source }, { raw: nul, source }]);
    expect(results.map((r) => r.state)).not.toContain('pending');
    expect(results[0]).toMatchObject({ state: 'processed', outcome: 'ticket' });
    const row = await g.database.db.selectFrom('inbound_message').selectAll().where('id', '=', results[1]!.inboundId).executeTakeFirstOrThrow();
    expect((await readFile(path.join(g.config.dataDir, 'raw', row.raw_path))).equals(nul)).toBe(true);
  });

  // Found by the fuzzer: on PostgreSQL a NUL in the subject or the body made the message fail (a text
  // column refuses 0x00), so a person's mail with one stray NUL got no ticket and no answer.
  it('turns mail with NUL bytes in its subject, body and names into a ticket on every engine', async () => {
    const raw = Buffer.from('From: "Ada\u0000 L" <ada@example.com>\r\nMessage-ID: <nul-body@example.com>\r\nSubject: Printer\u0000 down\r\n\r\nIt stopped\u0000 at noon.\r\n', 'latin1');
    const [result] = await g.intake.handleBatch([{ raw, source: { mailbox: 'smtp', uidValidity: null, uid: null } }]);
    expect(result).toMatchObject({ state: 'processed', outcome: 'ticket' });
    const ticket = await g.database.db.selectFrom('ticket').select('summary').where('number', '=', result!.ticketNumber!).executeTakeFirstOrThrow();
    expect(ticket.summary).toBe('Printer down');
  });

  it('still turns a well-formed mail into a ticket after the fuzzing', async () => {
    const mail = clientMail({ from: 'Grace Hopper <grace@example.com>', subject: 'After the storm', body: 'The report page is blank.' });
    const [result] = await g.intake.handleBatch([{ raw: Buffer.from(mail.raw), source: { mailbox: 'smtp', uidValidity: null, uid: null } }]);
    expect(result).toMatchObject({ state: 'processed', outcome: 'ticket', duplicate: false });
    expect(result!.ticketNumber).toBeGreaterThan(0);
    const ticket = await g.database.db.selectFrom('ticket').select(['number', 'summary']).where('number', '=', result!.ticketNumber!).executeTakeFirstOrThrow();
    expect(ticket.summary).toBe('After the storm');
  });
});
