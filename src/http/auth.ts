// Who calls the API. Either the installation's integration token (admin.apiToken), which acts as the
// support team and never as a person, or a staff member's own token, which acts as that member with
// that member's role: revoking it, or deactivating its owner, shuts that one door alone. A staff
// token is 32 random bytes shown once; only its sha256 is stored, so a copy of the database opens
// nothing. The former X-Guichet-Staff header let any holder of the shared token act as anyone,
// admins included: it is refused by name rather than ignored, so a script that still sends it learns
// why instead of quietly acting as someone else.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { StaffActor } from '../tickets/staff-verbs.ts';

/** Makes a staff token recognisable in a script, a log or a secret scanner. */
export const STAFF_TOKEN_PREFIX = 'gst_';
/** A token's last use is written at most this often: a busy script must not write on every call. */
export const LAST_USE_PRECISION_MS = 60_000;

export interface ApiCaller {
  actor: StaffActor;
  /** What the caller may do: `integration` is the installation itself, with full access. */
  role: 'integration' | 'admin' | 'agent';
  /** The staff token used, null for the integration token. */
  tokenId: number | null;
}

export interface ApiEnv {
  Variables: { caller: ApiCaller };
}

export interface ApiAuthDeps {
  db: Kysely<Database>;
  apiToken: string | null;
  /** How the integration token signs what it writes (config support.name). */
  supportName?: string;
  now?: () => Date;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
export const tokenDigest = (token: string) => sha256(token).toString('hex');

/** Equal-length digests, so neither the content nor the length of the secret leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** A new token for a staff member; resolves with the token itself, which is never stored. */
export async function issueStaffToken(db: Kysely<Database>, staffId: number, name: string, now: Date): Promise<{ id: number; token: string }> {
  const token = STAFF_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('staff_token')
    .values({ staff_id: staffId, name, token_hash: tokenDigest(token), created_at: now.toISOString(), last_used_at: null, revoked_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

const bearerOf = (authorization: string | undefined) => /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() || undefined;

/** The caller an Authorization header names, or null when it names nobody (missing, wrong, revoked). */
export async function callerOf(deps: ApiAuthDeps, authorization: string | undefined): Promise<ApiCaller | null> {
  const token = bearerOf(authorization);
  if (!token || token.length > 200) return null;
  if (deps.apiToken && sameToken(token, deps.apiToken)) {
    return { role: 'integration', tokenId: null, actor: { role: 'staff', id: 'integration', staffId: null, name: deps.supportName || 'Support' } };
  }
  if (!token.startsWith(STAFF_TOKEN_PREFIX)) return null;
  const row = await deps.db
    .selectFrom('staff_token')
    .innerJoin('staff', 'staff.id', 'staff_token.staff_id')
    .select(['staff_token.id as token_id', 'staff_token.last_used_at', 'staff.id', 'staff.name', 'staff.role'])
    .where('staff_token.token_hash', '=', tokenDigest(token))
    .where('staff_token.revoked_at', 'is', null)
    .where('staff.active', '=', 1)
    .executeTakeFirst();
  if (!row) return null;
  const now = (deps.now ?? (() => new Date()))();
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() >= LAST_USE_PRECISION_MS) {
    await deps.db.updateTable('staff_token').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
  }
  return { role: row.role, tokenId: row.token_id, actor: { role: 'staff', id: `staff:${row.id}`, staffId: row.id, name: row.name } };
}

/** Every /api/v1 route behind it knows its caller (c.get('caller')), or the request is refused. */
export function apiAuth(deps: ApiAuthDeps): MiddlewareHandler<ApiEnv> {
  return async function bearer(c, next) {
    if (c.req.header('x-guichet-staff') !== undefined) {
      throw new HTTPException(400, {
        message: 'X-Guichet-Staff was removed: to act as a staff member, use their own API token (created in the admin under API tokens) as the bearer; admin.apiToken acts as the support team',
      });
    }
    const caller = await callerOf(deps, c.req.header('authorization'));
    if (!caller) {
      c.header('WWW-Authenticate', 'Bearer realm="guichet"');
      throw new HTTPException(401, { message: 'missing, wrong or revoked bearer token' });
    }
    c.set('caller', caller);
    await next();
  };
}
