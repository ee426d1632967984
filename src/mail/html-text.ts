// The text of an HTML-only message, for the stages that work on text (reply extraction, ticket
// descriptions). Quoted parts stay recognisable as quotes; the sanitised HTML is kept separately.
import { Parser } from 'htmlparser2';

const tags = (list: string) => new Set(list.split(' '));
const BLOCK_TAGS = tags(
  'address article aside blockquote body center dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 ' +
    'header hr html li main nav ol p pre section table tbody tfoot thead tr ul',
);
const PARAGRAPH_TAGS = tags('blockquote h1 h2 h3 h4 h5 h6 ol p pre table ul');
const SKIPPED_TAGS = tags('head noscript object script style svg template title');

/**
 * Readable text from an HTML body: blocks and `<br>` become line breaks, `<blockquote>` content is
 * prefixed with "> " (so extractReply drops it like a plain-text quote), scripts and styles vanish.
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let line = '';
  let lineDepth = 0;
  let depth = 0;
  let skip = 0;
  let pre = 0;
  const flush = () => {
    const text = line.trimEnd();
    out.push(text === '' ? '' : '> '.repeat(lineDepth) + text);
    line = '';
  };
  const add = (text: string) => {
    if (line === '') lineDepth = depth;
    line += text;
  };
  const block = (name: string) => {
    if (line !== '') flush();
    if (PARAGRAPH_TAGS.has(name) && out.length > 0 && out.at(-1) !== '') out.push('');
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIPPED_TAGS.has(name)) skip++;
        if (skip > 0) return;
        // Every <br> ends a line, an empty one too: "<div><br></div>" is how clients write a blank line.
        if (name === 'br') return flush();
        if (BLOCK_TAGS.has(name)) block(name);
        if (name === 'blockquote') depth++;
        if (name === 'pre') pre++;
        if (name === 'li') add('- ');
        if ((name === 'td' || name === 'th') && line !== '' && !line.endsWith(' ')) add(' ');
      },
      onclosetag(name) {
        if (SKIPPED_TAGS.has(name)) skip = Math.max(0, skip - 1);
        if (skip > 0) return;
        if (BLOCK_TAGS.has(name)) block(name);
        if (name === 'blockquote') depth = Math.max(0, depth - 1);
        if (name === 'pre') pre = Math.max(0, pre - 1);
      },
      ontext(data) {
        if (skip > 0) return;
        // A block holding only &nbsp; is a blank line the writer meant.
        if (pre === 0 && line === '' && data.includes('\u00a0') && data.trim() === '') return flush();
        (pre > 0 ? data : data.replace(/[\s\u00a0]+/g, ' ')).split('\n').forEach((part, k) => {
          if (k > 0) flush();
          const text = line === '' && pre === 0 ? part.replace(/^ +/, '') : part;
          if (text !== '') add(text);
        });
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  if (line !== '') flush();
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
