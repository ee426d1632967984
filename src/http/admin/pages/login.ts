// The login page. Its form carries a token also set as a cookie (double submit), so another site
// cannot log a browser into an account of its choosing.
import { html } from 'hono/html';
import { flash, page, type Markup } from '../layout.ts';
import type { Lang, Strings } from '../i18n.ts';

export function loginPage(p: { t: Strings; lang: Lang; csrf: string; next: string; email?: string; error?: string; forgot?: Markup }): Markup {
  const { t } = p;
  return page({ t, lang: p.lang, title: t.signIn, session: null }, html`<div class="login card">
<h1>${t.signIn}</h1>
${p.error ? flash('error', p.error) : ''}
<form method="post" action="/admin/login" class="stack">
<input type="hidden" name="_csrf" value="${p.csrf}">
<input type="hidden" name="next" value="${p.next}">
<label for="email">${t.email}</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${p.email ?? ''}" autofocus>
<label for="password">${t.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">${t.signIn}</button>
</form>
${p.forgot ?? ''}
</div>`);
}
