// Notification rendering. Every `templates/<name>.mjml` is compiled to HTML once, at start (or read
// from the last start's compile: compile-templates.ts), with its placeholders left intact, so a broken template stops the process before any mail is queued; each
// message then only fills values into precompiled HTML (microseconds). The plain-text part comes from
// `templates/<name>.txt` and the same catalogue strings, never from scraping the HTML.
//
// Guarantees: every value is escaped for HTML; `{{{name}}}` (unescaped) is refused at start except
// for message blocks, which the renderer itself turns into escaped paragraphs; a placeholder without
// a value throws, so `{{x}}` can never reach a client; links are mailto only (clients never log in),
// but for `adminLink`, the http(s) link to the admin that staff invitations and resets carry.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Language } from '../db/schema.ts';
import { REPLY_MARKER } from '../protocol/markers.ts';
import type { Fallback } from '../tickets/notices.ts';
import { compileTemplates } from './compile-templates.ts';
import { en, type Catalogue } from './i18n/en.ts';
import { fr } from './i18n/fr.ts';
import type { TemplateName, TemplateVars } from './template-vars.ts';

export type Lang = Language;
export const CATALOGUES: Record<Lang, Catalogue> = { en, fr };
export type { ProjectChoice, TemplateName, TemplateVars, TicketVars } from './template-vars.ts';

// The catalogue's type requires one entry per template name, so this list is complete.
export const TEMPLATE_NAMES = Object.keys(en.templates) as TemplateName[];
const isTemplateName = (s: string): s is TemplateName => (TEMPLATE_NAMES as string[]).includes(s);

export interface RenderedMail {
  /** Localized, without the `[#N]` tag: the caller adds the tag it threads on. */
  subject: string;
  html: string;
  text: string;
}
export interface Renderer {
  render<T extends TemplateName>(template: T, lang: Lang, vars: TemplateVars[T]): RenderedMail;
}
export interface RendererOptions {
  templatesDir: string;
  productName: string;
  /** Time zone of dates shown in mail (maintenance windows); the process's zone by default. */
  timeZone?: string;
  /** Where compiled templates are kept for the next start (compile-templates.ts); none when unset. */
  cacheDir?: string | null;
}

// ---- the placeholder language: {{x}}, {{#x}}…{{/x}}, {{^x}}…{{/x}}, {{{block}}}, {{> partial}} ----

type Node =
  | string
  | { tag: 'var'; name: string }
  | { tag: 'block'; name: string }
  | { tag: 'if'; name: string; body: Node[] }
  | { tag: 'unless'; name: string; body: Node[] };

const BLOCKS = new Set(['message']);
const TAG = /\{\{\{\s*([\w.]+)\s*\}\}\}|\{\{\s*([#^/>]?)\s*([\w.-]+|\.)\s*\}\}/g;

interface ParseOptions { blocks?: boolean; partial?: (name: string) => Node[] }

// A section or partial tag alone on its line takes the line with it, so text templates can put
// them on lines of their own without leaving blank lines behind.
const STANDALONE = /^[ \t]*(\{\{\s*[#^/>][^}]*\}\})[ \t]*\r?\n/gm;

function parse(source: string, where: string, { blocks = false, partial }: ParseOptions = {}): Node[] {
  const src = source.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const open: { name: string; parent: Node[] }[] = [];
  let out = root;
  let at = 0;
  for (const m of src.matchAll(TAG)) {
    if (m.index > at) out.push(src.slice(at, m.index));
    at = m.index + m[0].length;
    const [, block, sigil, name = ''] = m;
    if (block !== undefined) {
      if (!BLOCKS.has(block) || !blocks) throw new Error(`${where}: {{{${block}}}} is not allowed; write {{${block}}}`);
      out.push({ tag: 'block', name: block });
    } else if (sigil === '#' || sigil === '^') {
      const body: Node[] = [];
      out.push({ tag: sigil === '#' ? 'if' : 'unless', name, body });
      open.push({ name, parent: out });
      out = body;
    } else if (sigil === '/') {
      const top = open.pop();
      if (top?.name !== name) throw new Error(`${where}: {{/${name}}} closes ${top ? `{{#${top.name}}}` : 'nothing'}`);
      out = top.parent;
    } else if (sigil === '>') {
      if (!partial) throw new Error(`${where}: {{> ${name}}} is only allowed in .txt templates`);
      out.push(...partial(name));
    } else {
      out.push({ tag: 'var', name });
    }
  }
  if (open.length) throw new Error(`${where}: {{#${open.at(-1)!.name}}} is never closed`);
  out.push(src.slice(at));
  return root;
}

// How one output fills: where names come from, how a value and a message block are written.
type Lookup = (name: string, frames: readonly unknown[]) => unknown;
interface Filler { lookup: Lookup; escape(text: string): string; block(text: string): string }

function scalar(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value === undefined || value === null) throw new Error(`no value for {{${name}}}`);
  throw new Error(`{{${name}}} is not text (${Array.isArray(value) ? 'a list' : typeof value})`);
}

function fill(nodes: readonly Node[], f: Filler, frames: readonly unknown[]): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') out += node;
    else if (node.tag === 'var') out += f.escape(scalar(f.lookup(node.name, frames), node.name));
    else if (node.tag === 'block') out += f.block(scalar(f.lookup(node.name, frames), node.name));
    else {
      const v = f.lookup(node.name, frames);
      const items = Array.isArray(v) ? v : v === undefined || v === null || v === false || v === '' ? [] : [v];
      if (node.tag === 'unless') out += items.length ? '' : fill(node.body, f, frames);
      else for (const item of items) out += fill(node.body, f, [item, ...frames]);
    }
  }
  return out;
}

function names(nodes: readonly Node[], into = new Set<string>()): Set<string> {
  for (const n of nodes) if (typeof n !== 'string') {
    into.add(n.name);
    if (n.tag === 'if' || n.tag === 'unless') names(n.body, into);
  }
  return into;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

const paragraphsHtml = (text: string) =>
  text.trim().split(/\n[ \t]*\n+/).map((p, i, all) =>
    `<p style="margin:0 0 ${i === all.length - 1 ? 0 : 12}px;">${escapeHtml(p.trim()).replace(/\r?\n/g, '<br>')}</p>`).join('');

export async function createRenderer(opts: RendererOptions): Promise<Renderer> {
  const dir = path.resolve(opts.templatesDir);
  const entries = await readdir(dir).catch((err: Error) => {
    throw new Error(`templates folder ${dir} cannot be read: ${err.message}`);
  });
  const unknown = entries.filter((f) => /\.(mjml|txt)$/.test(f) && !isTemplateName(f.replace(/\.\w+$/, '')));
  if (unknown.length) throw new Error(`templates: unknown template file(s) ${unknown.join(', ')} in ${dir}`);
  const missing = TEMPLATE_NAMES.flatMap((n) => [`${n}.mjml`, `${n}.txt`]).filter((f) => !entries.includes(f));
  if (missing.length) throw new Error(`templates: missing ${missing.join(', ')} in ${dir}`);

  const partialDir = path.join(dir, 'partials');
  const partialSources = new Map<string, string>();
  for (const f of await readdir(partialDir).catch(() => [] as string[])) {
    if (f.endsWith('.txt')) partialSources.set(f.slice(0, -4), await readFile(path.join(partialDir, f), 'utf8'));
  }
  const partial = (where: string) => (name: string): Node[] => {
    const src = partialSources.get(name);
    if (src === undefined) throw new Error(`${where}: no partial partials/${name}.txt`);
    return parse(src, `partials/${name}.txt`, { blocks: true, partial: partial(`partials/${name}.txt`) });
  };

  const htmlOf = await compileTemplates(dir, TEMPLATE_NAMES, opts.cacheDir ?? null);
  const compiled = new Map<TemplateName, { html: Node[]; text: Node[] }>();
  for (const name of TEMPLATE_NAMES) {
    const html = parse(htmlOf.get(name)!, `${name}.mjml`, { blocks: true });
    const text = parse(await readFile(path.join(dir, `${name}.txt`), 'utf8'), `${name}.txt`, {
      blocks: true, partial: partial(`${name}.txt`),
    });
    // A misspelt catalogue key in a template is an operator's typo: refuse it now, not at send time.
    for (const key of names([...html, ...text])) {
      for (const lang of Object.keys(CATALOGUES) as Lang[]) {
        if (catalogueString(CATALOGUES[lang], name, key) === null) {
          throw new Error(`template ${name}: {{${key}}} names no string of the ${lang} catalogue`);
        }
      }
    }
    compiled.set(name, { html, text });
  }

  const stringNodes = new Map<string, Node[]>();
  const dateFormat = (lang: Lang) => new Intl.DateTimeFormat(lang, {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
    timeZoneName: 'short', timeZone: opts.timeZone,
  });
  const dates: Record<Lang, Intl.DateTimeFormat> = { en: dateFormat('en'), fr: dateFormat('fr') };

  return {
    render(template, lang, vars) {
      const page = compiled.get(template);
      const cat = CATALOGUES[lang];
      if (!page || !cat) throw new Error(`render: unknown template ${template} or language ${lang}`);
      let scope: Record<string, unknown> = {};
      const lookup: Lookup = (name, frames) => {
        if (name === '.') return frames[0];
        for (const frame of frames) {
          if (frame !== null && typeof frame === 'object' && name in frame) return (frame as Record<string, unknown>)[name];
        }
        const str = catalogueString(cat, template, name);
        if (typeof str !== 'string') return scope[name];
        // Catalogue strings are filled as plain text; the caller escapes the result once.
        let nodes = stringNodes.get(str);
        if (!nodes) stringNodes.set(str, (nodes = parse(str, `catalogue ${lang} ${name}`)));
        return fill(nodes, plain, frames);
      };
      const plain: Filler = { lookup, escape: (s) => s, block: (s) => s };
      const html: Filler = { lookup, escape: escapeHtml, block: paragraphsHtml };
      try {
        scope = scopeOf(vars as unknown as Record<string, unknown>, cat, (d) => dates[lang].format(d));
        Object.assign(scope, { productName: opts.productName, replyMarker: REPLY_MARKER, lang });
        return {
          subject: fill([{ tag: 'var', name: 't.subject' }], plain, []).replace(/\s+/g, ' ').trim(),
          html: fill(page.html, html, []),
          text: `${fill(page.text, plain, []).replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim()}\n`,
        };
      } catch (err) {
        throw new Error(`render ${template} (${lang}): ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

/** `t.key` reads the template's string, falling back to `common`; null when the name is not one. */
function catalogueString(cat: Catalogue, template: TemplateName, name: string): string | null | undefined {
  const [ns, key, extra] = name.split('.');
  if (key === undefined || extra !== undefined || (ns !== 't' && ns !== 'common')) return undefined;
  const own = ns === 't' ? (cat.templates[template] as Record<string, string>)[key] : undefined;
  return own ?? (cat.common as Record<string, string>)[key] ?? null;
}

// Values stored as codes are shown translated, as `<name>Label`.
const LABELS = {
  status: 'status', priority: 'priority', previousPriority: 'priority',
  type: 'type', previousType: 'type', resolution: 'resolution',
} as const;

function scopeOf(vars: Record<string, unknown>, cat: Catalogue, date: (d: Date) => string): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) {
    scope[key] = value instanceof Date ? date(value) : value;
    // A list section repeats; `{{#hasList}}` shows a part once when the list is not empty.
    if (Array.isArray(value)) scope[`has${key[0]!.toUpperCase()}${key.slice(1)}`] = value.length > 0;
    const family = LABELS[key as keyof typeof LABELS];
    if (family && typeof value === 'string') scope[`${key}Label`] = label(cat[family], value, key);
    checkMailto(key, value);
  }
  if (Array.isArray(vars.fallbacks)) {
    scope.fallbacks = (vars.fallbacks as Fallback[]).map((f) => ({
      ...f,
      fieldLabel: label(cat.field, f.field, 'fallbacks.field'),
      usedLabel:
        f.field === 'type' || f.field === 'priority' || f.field === 'visibility'
          ? label(cat[f.field], f.used, `fallbacks.${f.field}`)
          : f.used,
    }));
  }
  return scope;
}

function label(values: Record<string, string>, code: string, what: string): string {
  if (!Object.hasOwn(values, code)) throw new Error(`${what}: unknown value "${code}"`);
  return values[code]!;
}

// A link a client clicks must only ever prepare an email, whatever a caller passes.
function checkMailto(key: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item && typeof item === 'object') for (const [k, v] of Object.entries(item)) checkMailto(k, v);
    }
  } else if (/mailto$/i.test(key) && !(typeof value === 'string' && /^mailto:[^\s"<>]+$/i.test(value))) {
    throw new Error(`${key} must be a mailto: URL`);
  } else if (key === 'adminLink' && !(typeof value === 'string' && /^https?:\/\/[^\s"<>]+$/i.test(value))) {
    throw new Error(`${key} must be an http(s) URL`);
  }
}
