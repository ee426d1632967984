// A browser's cookie jar over the admin, just enough of one for route tests through app.request (no
// port): cookies kept by name and sent back, forms posted url-encoded (a field may repeat), and the
// hidden fields of a page read back (the session's anti-CSRF token, a ticket's version).
import type { Guichet } from '../../src/app.ts';

export type Form = Record<string, string | string[]>;

export function browser(g: Guichet) {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    cookieHeader,
    async request(path: string, init: { method?: string; form?: Form; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (jar.size) headers.cookie = cookieHeader();
      let body: string | undefined;
      if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(init.form)) for (const one of ([] as string[]).concat(v)) params.append(k, one);
        body = params.toString();
      }
      const res = await g.http.request(path, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body });
      for (const cookie of res.headers.getSetCookie()) {
        const [name, value] = cookie.split(';')[0]!.split('=');
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(cookie) || value === '') jar.delete(name!);
        else jar.set(name!, value!);
      }
      return { res, text: await res.text(), cookies: res.headers.getSetCookie() };
    },
  };
}

/** The value of a page's hidden (or any) field named `name`; empty when there is none. */
export const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';
