// Staff sessions: a random cookie (32 bytes) whose sha256 names the row, so the database alone opens
// nothing; each session carries its own anti-CSRF token. Logging in checks the argon2id hash, and
// takes as long for an unknown address as for a known one. Failed logins are counted per address:
// past the bound the address is refused for a while, whatever the password, and told so.
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, Staff } from '../../db/schema.ts';

export const SESSION_COOKIE = 'guichet_session';
export const SESSION_HOURS = 12;
export const LOGIN_FAILURES = { max: 5, windowMinutes: 15 };

export type SessionStaff = Pick<Staff, 'id' | 'email' | 'name' | 'role'>;
export interface Session { staff: SessionStaff; csrf: string }

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
// Verified against when the address is unknown, so both cases cost one argon2 verification.
const decoy = hash(randomBytes(16).toString('hex'));

export type LoginResult =
  | { ok: true; staff: SessionStaff }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterMinutes: number };

export async function checkLogin(db: Kysely<Database>, email: string, password: string, now: Date): Promise<LoginResult> {
  const address = email.trim().toLowerCase();
  const since = new Date(now.getTime() - LOGIN_FAILURES.windowMinutes * 60_000).toISOString();
  const failures = await db.selectFrom('login_failure').select('at').where('email', '=', address).where('at', '>=', since).orderBy('at').execute();
  if (failures.length >= LOGIN_FAILURES.max) {
    const freeAt = new Date(failures[0]!.at).getTime() + LOGIN_FAILURES.windowMinutes * 60_000;
    return { ok: false, reason: 'throttled', retryAfterMinutes: Math.max(1, Math.ceil((freeAt - now.getTime()) / 60_000)) };
  }
  const staff = await db.selectFrom('staff').select(['id', 'email', 'name', 'role', 'password_hash']).where('email', '=', address).where('active', '=', 1).executeTakeFirst();
  const good = await verify(staff?.password_hash ?? (await decoy), password).catch(() => false);
  if (!staff || !good) {
    await db.insertInto('login_failure').values({ email: address, at: now.toISOString() }).execute();
    return { ok: false, reason: 'invalid' };
  }
  await db.deleteFrom('login_failure').where('email', '=', address).execute();
  return { ok: true, staff: { id: staff.id, email: staff.email, name: staff.name, role: staff.role } };
}

/** Opens a session; resolves with the cookie's value (never stored). */
export async function openSession(db: Kysely<Database>, staffId: number, now: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.insertInto('staff_session').values({
    id: digest(token),
    staff_id: staffId,
    csrf: randomBytes(32).toString('base64url'),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(),
  }).execute();
  // Expired sessions of anyone go now: the table stays the size of the staff who work.
  await db.deleteFrom('staff_session').where('expires_at', '<', now.toISOString()).execute();
  return token;
}

/** The session a cookie opens, with its staff member, while both are valid. */
export async function sessionOf(db: Kysely<Database>, token: string | undefined, now: Date): Promise<Session | null> {
  if (!token || token.length > 100) return null;
  const row = await db
    .selectFrom('staff_session')
    .innerJoin('staff', 'staff.id', 'staff_session.staff_id')
    .select(['staff.id', 'staff.email', 'staff.name', 'staff.role', 'staff_session.csrf'])
    .where('staff_session.id', '=', digest(token))
    .where('staff_session.expires_at', '>', now.toISOString())
    .where('staff.active', '=', 1)
    .executeTakeFirst();
  return row ? { staff: { id: row.id, email: row.email, name: row.name, role: row.role }, csrf: row.csrf } : null;
}

export async function closeSession(db: Kysely<Database>, token: string | undefined): Promise<void> {
  if (token) await db.deleteFrom('staff_session').where('id', '=', digest(token)).execute();
}
