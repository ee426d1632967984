// Who calls the API: a bearer token (admin.apiToken), compared in constant time, and the staff
// member named by X-Guichet-Staff, or the support team itself (`api`) when none is named.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import { activeStaffByEmail } from '../accounts/staff.ts';
import type { Database } from '../db/schema.ts';
import type { StaffActor } from '../tickets/staff-verbs.ts';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function bearerToken(apiToken: string | null): MiddlewareHandler {
  return async function bearer(c, next) {
    const token = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    if (!apiToken || !token || !sameToken(token, apiToken)) {
      c.header('WWW-Authenticate', 'Bearer realm="guichet"');
      throw new HTTPException(401, { message: apiToken ? 'missing or wrong bearer token' : 'the API is disabled: set admin.apiToken' });
    }
    await next();
  };
}

export async function actorOf(db: Kysely<Database>, header: string | undefined): Promise<StaffActor> {
  if (!header) return { role: 'staff', id: 'api', staffId: null, name: 'Support' };
  const staff = await activeStaffByEmail(db, header);
  if (!staff) throw new HTTPException(403, { message: `no active staff member ${header}` });
  return { role: 'staff', id: `staff:${staff.id}`, staffId: staff.id, name: staff.name };
}
