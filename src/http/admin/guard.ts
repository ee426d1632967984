// What stands in front of every admin page: security headers (a CSP that allows no inline script),
// the staff member's session, the page language, and the anti-CSRF check on every form. A page that
// needs a session and has none sends the browser to the login page; a form without the session's
// token changes nothing.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { languageOf, STRINGS, type Lang, type Strings } from './i18n.ts';
import { SESSION_COOKIE, sessionOf, type Session } from './session.ts';

export interface AdminEnv {
  Variables: { session: Session; lang: Lang; t: Strings };
}

export const adminHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      frameSrc: ["'self'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'same-origin',
    // The few routes that serve mail's own content (an HTML body for a sandboxed frame, an
    // attachment) set stricter headers of their own: they are kept.
    overwrite: false,
  });

/**
 * The headers of mail's own HTML (a client's sanitised body, a notification Guichet rendered), served
 * for a sandboxed frame of an admin page and nothing else: no script, no request but inline images
 * (remote ones too once staff asked for them), framed by the admin alone, links opening outside it.
 */
export function mailFrameHeaders(opts: { remoteImages?: boolean } = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src data:${opts.remoteImages ? ' https: http:' : ''}; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox`,
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'private, no-store',
  };
}

export function language(fallback: Lang): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const lang = languageOf(c.req.header('accept-language'), fallback);
    c.set('lang', lang);
    c.set('t', STRINGS[lang]);
    await next();
  };
}

/** Pages behind the login: the session is loaded, or the browser goes to the login page. */
export function requireSession(db: Kysely<Database>, now: () => Date): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = await sessionOf(db, getCookie(c, SESSION_COOKIE), now());
    if (!session) {
      // The whole address, query included: a link to a filtered list leads back to that list.
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(url.pathname + url.search)}` : '';
      return c.redirect(`/admin/login${back}`, 303);
    }
    c.set('session', session);
    await next();
  };
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The parsed form of a POST whose `_csrf` field is the session's token; null (and a 403 to send) otherwise. */
export async function checkedForm(c: Context<AdminEnv>): Promise<Record<string, string | string[]> | null> {
  const form = await c.req.parseBody({ all: true }).catch(() => null);
  if (!form) return null;
  const token = form._csrf;
  if (typeof token !== 'string' || !sameSecret(token, c.get('session').csrf)) return null;
  const fields: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(form)) {
    if (typeof v === 'string') fields[k] = v;
    else if (Array.isArray(v)) fields[k] = v.filter((x): x is string => typeof x === 'string');
  }
  return fields;
}
