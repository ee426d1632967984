// Compiles the notification templates (compile-templates.ts) on a thread of its own that ends once it has
// answered: mjml and what it pulls in (html-minifier, js-beautify, juice, cheerio…) take about
// 45 MB that the process would otherwise keep for its lifetime, to be used once, at start. Plain
// JavaScript, so the thread starts without a TypeScript loader. Answers one message: per file, its
// HTML or why it does not compile.
import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import mjml2html from 'mjml';

const results = [];
for (const file of workerData.files) {
  try {
    const source = await readFile(file, 'utf8');
    const result = await mjml2html(source, {
      // mjml 5 skips <mj-include> unless told; `fonts: {}` keeps a font name such as Roboto from
      // pulling a Google Fonts stylesheet into every mail.
      validationLevel: 'strict', filePath: file, ignoreIncludes: false, keepComments: false, fonts: {},
      minify: true, minifyOptions: { minifyCss: false },
    });
    results.push({ file, html: result.html });
  } catch (err) {
    const errors = err?.errors;
    const why = errors?.length
      ? errors.map((e) => `line ${e.line} <${e.tagName}>: ${e.message}`).join('; ')
      : String(err?.message ?? err);
    results.push({ file, error: why });
  }
}
parentPort.postMessage(results);
