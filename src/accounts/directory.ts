// The directory Guichet routes and notifies by: projects (their addresses, products and staff),
// organisations (their mail domains and the projects they may use) and staff members. The CLI
// manages it today and the admin pages will call the same functions.
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export class DirectoryError extends Error {}

export async function addProject(
  db: Kysely<Database>,
  p: { key: string; name: string; addresses?: string[]; products?: string[]; staff?: string[] },
  now: Date,
): Promise<string> {
  const key = p.key.toUpperCase();
  await db.transaction().execute(async (trx) => {
    const { id } = await trx.insertInto('project').values({ key, name: p.name, default_type: 'assistance', created_at: now.toISOString() }).returning('id').executeTakeFirstOrThrow();
    for (const address of p.addresses ?? []) await trx.insertInto('project_address').values({ address: address.toLowerCase(), project_id: id }).execute();
    for (const name of p.products ?? []) await trx.insertInto('product').values({ project_id: id, name }).execute();
    for (const email of p.staff ?? []) {
      const s = await trx.selectFrom('staff').select('id').where('email', '=', email.toLowerCase()).executeTakeFirst();
      if (!s) throw new DirectoryError(`no staff member ${email}`);
      await trx.insertInto('project_staff').values({ project_id: id, staff_id: s.id }).execute();
    }
  });
  return key;
}

export async function addOrganisation(
  db: Kysely<Database>,
  o: { name: string; domains?: string[]; projects?: string[]; validatesMembers?: boolean },
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { id } = await trx.insertInto('organisation').values({ name: o.name, requires_validation: o.validatesMembers ? 1 : 0, created_at: now.toISOString() }).returning('id').executeTakeFirstOrThrow();
    for (const domain of o.domains ?? []) await trx.insertInto('organisation_domain').values({ domain: domain.toLowerCase(), organisation_id: id }).execute();
    for (const key of o.projects ?? []) {
      const p = await trx.selectFrom('project').select('id').where('key', '=', key.toUpperCase()).executeTakeFirst();
      if (!p) throw new DirectoryError(`no project ${key}`);
      await trx.insertInto('organisation_project').values({ organisation_id: id, project_id: p.id }).execute();
    }
  });
}

/** Adds a staff member with a generated password, returned once (only its argon2id hash is stored). */
export async function addStaff(db: Kysely<Database>, s: { email: string; name: string; admin?: boolean }, now: Date): Promise<string> {
  const password = randomBytes(12).toString('base64url');
  await db.insertInto('staff').values({
    email: s.email.toLowerCase(), name: s.name, password_hash: await hash(password), role: s.admin ? 'admin' : 'agent', active: 1, created_at: now.toISOString(),
  }).execute();
  return password;
}

export const listProjects = (db: Kysely<Database>) => db.selectFrom('project').select(['key', 'name']).orderBy('key').execute();

export const listOrganisations = (db: Kysely<Database>) =>
  db.selectFrom('organisation').leftJoin('organisation_domain', 'organisation_domain.organisation_id', 'organisation.id')
    .select(['organisation.name', 'organisation.requires_validation', 'organisation_domain.domain']).orderBy('organisation.name').execute();

export const listStaff = (db: Kysely<Database>) => db.selectFrom('staff').select(['email', 'name', 'role']).orderBy('email').execute();

/** The projects a contact may file on: its organisation's, or every project for a contact of no organisation. */
export async function projectsFor(trx: Kysely<Database>, organisationId: number | null): Promise<Array<{ id: number; key: string; name: string }>> {
  return trx
    .selectFrom('project')
    .select(['project.id', 'project.key', 'project.name'])
    .$if(organisationId !== null, (q) =>
      q.innerJoin('organisation_project', 'organisation_project.project_id', 'project.id').where('organisation_project.organisation_id', '=', organisationId!))
    .orderBy('project.key')
    .execute();
}
