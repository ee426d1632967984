// The directory Guichet routes and notifies by: projects (their addresses, products and staff),
// organisations (their mail domains and the projects they may use) and staff members. The CLI and
// the admin's setup pages call the same functions, so a rule (a key's shape, an address owned by one
// project only, an admin who cannot lock themself out) holds whichever door is used. Each refusal is
// a DirectoryError whose message is the reason, fit to show.
import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export class DirectoryError extends Error {}

type Db = Kysely<Database>;

/** A key is upper-cased and named in plus addresses (`support+shop@…`) and `[project SHOP #N]` markers. */
export function projectKeyOf(key: string): string {
  const k = key.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(k)) throw new DirectoryError(`a project key is 1 to 32 letters, digits, - or _ (not "${key.trim()}")`);
  return k;
}

function nameOf(name: string): string {
  const n = name.trim();
  if (!n || n.length > 200 || /[\u0000-\u001f\u007f]/.test(n)) throw new DirectoryError('a name is 1 to 200 characters, on one line');
  return n;
}

/** Lower-cased, its IDN domain in ASCII: the form the intake compares addresses and domains in. */
function domainName(domain: string): string {
  const raw = domain.trim().replace(/^@/, '').toLowerCase();
  const d = domainToASCII(raw);
  if (!d || d.length > 253 || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/.test(d)) {
    throw new DirectoryError(`"${domain.trim()}" is not a mail domain`);
  }
  return d;
}

function emailOf(email: string): string {
  const e = email.trim();
  const at = e.lastIndexOf('@');
  const local = e.slice(0, at);
  if (at < 1 || e.length > 254 || !/^[^\s@<>()[\]\\,;:"]+$/.test(local)) throw new DirectoryError(`"${e}" is not an email address`);
  try {
    return `${local.toLowerCase()}@${domainName(e.slice(at + 1))}`;
  } catch {
    throw new DirectoryError(`"${e}" is not an email address`);
  }
}

/** The same value given twice is one value; what stays is in the order first given. */
const unique = (values: string[]) => [...new Set(values)];

async function keyIsFree(trx: Db, key: string, self: number | null): Promise<void> {
  const other = await trx.selectFrom('project').select('id').where('key', '=', key).executeTakeFirst();
  if (other && other.id !== self) throw new DirectoryError(`a project with the key ${key} already exists`);
}

async function organisationNameIsFree(trx: Db, name: string, self: number | null): Promise<void> {
  const other = await trx.selectFrom('organisation').select('id').where('name', '=', name).executeTakeFirst();
  if (other && other.id !== self) throw new DirectoryError(`an organisation named ${name} already exists`);
}

/** A project's addresses become exactly these; an address another project receives on is refused. */
async function setAddresses(trx: Db, projectId: number, addresses: string[]): Promise<void> {
  const wanted = unique(addresses.map(emailOf));
  if (wanted.length) {
    const taken = await trx.selectFrom('project_address').innerJoin('project', 'project.id', 'project_address.project_id')
      .select(['project_address.address', 'project.key']).where('project_address.address', 'in', wanted).where('project_id', '!=', projectId).executeTakeFirst();
    if (taken) throw new DirectoryError(`the address ${taken.address} already belongs to project ${taken.key}`);
  }
  await trx.deleteFrom('project_address').where('project_id', '=', projectId).execute();
  for (const address of wanted) await trx.insertInto('project_address').values({ address, project_id: projectId }).execute();
}

/**
 * A project's products become these names (compared case-insensitively, a product's own spelling
 * kept). A product tickets carry is not removed: that would take it off them silently.
 */
async function setProducts(trx: Db, projectId: number, names: string[]): Promise<void> {
  const wanted = new Map<string, string>();
  for (const raw of names) {
    const name = nameOf(raw);
    if (!wanted.has(name.toLowerCase())) wanted.set(name.toLowerCase(), name);
  }
  const current = await trx.selectFrom('product').select(['id', 'name']).where('project_id', '=', projectId).execute();
  for (const product of current) {
    if (wanted.has(product.name.toLowerCase())) {
      const spelling = wanted.get(product.name.toLowerCase())!;
      if (spelling !== product.name) await trx.updateTable('product').set({ name: spelling }).where('id', '=', product.id).execute();
      wanted.delete(product.name.toLowerCase());
      continue;
    }
    const used = await trx.selectFrom('ticket_product').select('ticket_id').where('product_id', '=', product.id).executeTakeFirst();
    if (used) throw new DirectoryError(`the product ${product.name} is on tickets and stays`);
    await trx.deleteFrom('product').where('id', '=', product.id).execute();
  }
  for (const name of wanted.values()) await trx.insertInto('product').values({ project_id: projectId, name }).execute();
}

async function setProjectStaff(trx: Db, projectId: number, emails: string[]): Promise<void> {
  const ids: number[] = [];
  for (const email of unique(emails.map((e) => e.trim().toLowerCase()))) {
    const s = await trx.selectFrom('staff').select('id').where('email', '=', email).executeTakeFirst();
    if (!s) throw new DirectoryError(`no staff member ${email}`);
    ids.push(s.id);
  }
  await trx.deleteFrom('project_staff').where('project_id', '=', projectId).execute();
  for (const staff_id of ids) await trx.insertInto('project_staff').values({ project_id: projectId, staff_id }).execute();
}

/** An organisation's domains become exactly these; a domain another organisation owns is refused. */
async function setDomains(trx: Db, organisationId: number, domains: string[]): Promise<void> {
  const wanted = unique(domains.map(domainName));
  if (wanted.length) {
    const taken = await trx.selectFrom('organisation_domain').innerJoin('organisation', 'organisation.id', 'organisation_domain.organisation_id')
      .select(['organisation_domain.domain', 'organisation.name']).where('domain', 'in', wanted).where('organisation_id', '!=', organisationId).executeTakeFirst();
    if (taken) throw new DirectoryError(`the domain ${taken.domain} already belongs to ${taken.name}`);
  }
  await trx.deleteFrom('organisation_domain').where('organisation_id', '=', organisationId).execute();
  for (const domain of wanted) await trx.insertInto('organisation_domain').values({ domain, organisation_id: organisationId }).execute();
}

async function setOrganisationProjects(trx: Db, organisationId: number, keys: string[]): Promise<void> {
  const ids: number[] = [];
  for (const key of unique(keys.map((k) => k.trim().toUpperCase()))) {
    const p = await trx.selectFrom('project').select('id').where('key', '=', key).executeTakeFirst();
    if (!p) throw new DirectoryError(`no project ${key}`);
    ids.push(p.id);
  }
  await trx.deleteFrom('organisation_project').where('organisation_id', '=', organisationId).execute();
  for (const project_id of ids) await trx.insertInto('organisation_project').values({ organisation_id: organisationId, project_id }).execute();
}

export async function addProject(
  db: Kysely<Database>,
  p: { key: string; name: string; addresses?: string[]; products?: string[]; staff?: string[] },
  now: Date,
): Promise<string> {
  const key = projectKeyOf(p.key);
  const name = nameOf(p.name);
  await db.transaction().execute(async (trx) => {
    await keyIsFree(trx, key, null);
    const { id } = await trx.insertInto('project').values({ key, name, default_type: 'assistance', created_at: now.toISOString() }).returning('id').executeTakeFirstOrThrow();
    await setAddresses(trx, id, p.addresses ?? []);
    await setProducts(trx, id, p.products ?? []);
    await setProjectStaff(trx, id, p.staff ?? []);
  });
  return key;
}

export async function addOrganisation(
  db: Kysely<Database>,
  o: { name: string; domains?: string[]; projects?: string[]; validatesMembers?: boolean },
  now: Date,
): Promise<number> {
  const name = nameOf(o.name);
  return db.transaction().execute(async (trx) => {
    await organisationNameIsFree(trx, name, null);
    const { id } = await trx.insertInto('organisation').values({ name, requires_validation: o.validatesMembers ? 1 : 0, created_at: now.toISOString() }).returning('id').executeTakeFirstOrThrow();
    await setDomains(trx, id, o.domains ?? []);
    await setOrganisationProjects(trx, id, o.projects ?? []);
    return id;
  });
}

/** Adds a staff member with a generated password, returned once (only its argon2id hash is stored). */
export async function addStaff(db: Kysely<Database>, s: { email: string; name: string; admin?: boolean }, now: Date): Promise<string> {
  const email = emailOf(s.email);
  const name = nameOf(s.name);
  if (await db.selectFrom('staff').select('id').where('email', '=', email).executeTakeFirst()) throw new DirectoryError(`a staff member ${email} already exists`);
  const password = randomBytes(12).toString('base64url');
  await db.insertInto('staff').values({
    email, name, password_hash: await hash(password), role: s.admin ? 'admin' : 'agent', active: 1, created_at: now.toISOString(),
  }).execute();
  return password;
}

/** What changes on a project: each field given replaces the whole of it (addresses, products and staff are sets). */
export interface ProjectChange {
  key?: string;
  name?: string;
  addresses?: string[];
  products?: string[];
  /** Staff members' addresses. */
  staff?: string[];
}

export async function updateProject(db: Db, id: number, change: ProjectChange): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const project = await trx.selectFrom('project').select(['id', 'key']).where('id', '=', id).executeTakeFirst();
    if (!project) throw new DirectoryError('no such project');
    const key = change.key === undefined ? project.key : projectKeyOf(change.key);
    if (key !== project.key) await keyIsFree(trx, key, id);
    const name = change.name === undefined ? undefined : nameOf(change.name);
    if (key !== project.key || name !== undefined) await trx.updateTable('project').set({ key, ...(name === undefined ? {} : { name }) }).where('id', '=', id).execute();
    if (change.addresses) await setAddresses(trx, id, change.addresses);
    if (change.products) await setProducts(trx, id, change.products);
    if (change.staff) await setProjectStaff(trx, id, change.staff);
    return key;
  });
}

export interface OrganisationChange {
  name?: string;
  domains?: string[];
  /** Project keys. */
  projects?: string[];
  validatesMembers?: boolean;
}

/** Contacts already known keep their organisation and state: domains name only the newcomers to come. */
export async function updateOrganisation(db: Db, id: number, change: OrganisationChange): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const organisation = await trx.selectFrom('organisation').select('id').where('id', '=', id).executeTakeFirst();
    if (!organisation) throw new DirectoryError('no such organisation');
    const name = change.name === undefined ? undefined : nameOf(change.name);
    if (name !== undefined) await organisationNameIsFree(trx, name, id);
    if (name !== undefined || change.validatesMembers !== undefined) {
      await trx.updateTable('organisation').set({
        ...(name === undefined ? {} : { name }),
        ...(change.validatesMembers === undefined ? {} : { requires_validation: change.validatesMembers ? 1 : 0 }),
      }).where('id', '=', id).execute();
    }
    if (change.domains) await setDomains(trx, id, change.domains);
    if (change.projects) await setOrganisationProjects(trx, id, change.projects);
  });
}

/**
 * Deactivating closes the member's sessions (a later reactivation opens none of them again); their
 * API tokens stop working while they are inactive. Nobody deactivates themself: the last admin
 * could otherwise lock everyone out.
 */
export async function setStaffActive(db: Db, s: { id: number; active: boolean; by: number }): Promise<void> {
  if (s.id === s.by && !s.active) throw new DirectoryError('you cannot deactivate yourself');
  await db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('staff').set({ active: s.active ? 1 : 0 }).where('id', '=', s.id).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new DirectoryError('no such staff member');
    if (!s.active) await trx.deleteFrom('staff_session').where('staff_id', '=', s.id).execute();
  });
}

/** For the same reason as deactivation, an admin does not take their own admin role away. */
export async function setStaffRole(db: Db, s: { id: number; role: 'admin' | 'agent'; by: number }): Promise<void> {
  if (s.id === s.by && s.role !== 'admin') throw new DirectoryError('you cannot take away your own admin role');
  const result = await db.updateTable('staff').set({ role: s.role }).where('id', '=', s.id).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new DirectoryError('no such staff member');
}

const byId = <T extends { id: number }>(rows: T[]) => rows.reduce((m, r) => m.set(r.id, [...(m.get(r.id) ?? []), r]), new Map<number, T[]>());

/** Every project with its addresses, products and staff: the setup pages' view (small tables, read whole). */
export async function describeProjects(db: Db) {
  const [projects, addresses, products, staff] = await Promise.all([
    db.selectFrom('project').select(['id', 'key', 'name']).orderBy('key').execute(),
    db.selectFrom('project_address').select(['project_id as id', 'address']).orderBy('address').execute(),
    db.selectFrom('product').select(['project_id as id', 'name']).orderBy('name').execute(),
    db.selectFrom('project_staff').innerJoin('staff', 'staff.id', 'project_staff.staff_id')
      .select(['project_staff.project_id as id', 'staff.email', 'staff.name']).orderBy('staff.email').execute(),
  ]);
  const [a, p, s] = [byId(addresses), byId(products), byId(staff)];
  return projects.map((r) => ({
    ...r,
    addresses: (a.get(r.id) ?? []).map((x) => x.address),
    products: (p.get(r.id) ?? []).map((x) => x.name),
    staff: (s.get(r.id) ?? []).map((x) => ({ email: x.email, name: x.name })),
  }));
}

export async function describeOrganisations(db: Db) {
  const [organisations, domains, projects, members] = await Promise.all([
    db.selectFrom('organisation').select(['id', 'name', 'requires_validation']).orderBy('name').execute(),
    db.selectFrom('organisation_domain').select(['organisation_id as id', 'domain']).orderBy('domain').execute(),
    db.selectFrom('organisation_project').innerJoin('project', 'project.id', 'organisation_project.project_id')
      .select(['organisation_project.organisation_id as id', 'project.key']).orderBy('project.key').execute(),
    db.selectFrom('contact').select((eb) => ['organisation_id', eb.fn.countAll<number>().as('n')]).where('organisation_id', 'is not', null).groupBy('organisation_id').execute(),
  ]);
  const [d, p] = [byId(domains), byId(projects)];
  return organisations.map((o) => ({
    id: o.id,
    name: o.name,
    validatesMembers: Boolean(o.requires_validation),
    domains: (d.get(o.id) ?? []).map((x) => x.domain),
    projects: (p.get(o.id) ?? []).map((x) => x.key),
    contacts: Number(members.find((m) => m.organisation_id === o.id)?.n ?? 0),
  }));
}

export async function describeStaff(db: Db) {
  const [staff, projects, tokens] = await Promise.all([
    db.selectFrom('staff').select(['id', 'email', 'name', 'role', 'active', 'created_at']).orderBy('email').execute(),
    db.selectFrom('project_staff').innerJoin('project', 'project.id', 'project_staff.project_id')
      .select(['project_staff.staff_id as id', 'project.key']).orderBy('project.key').execute(),
    db.selectFrom('staff_token').select((eb) => ['staff_id', eb.fn.countAll<number>().as('n')]).where('revoked_at', 'is', null).groupBy('staff_id').execute(),
  ]);
  const p = byId(projects);
  return staff.map((s) => ({
    ...s,
    active: Boolean(s.active),
    projects: (p.get(s.id) ?? []).map((x) => x.key),
    tokens: Number(tokens.find((t) => t.staff_id === s.id)?.n ?? 0),
  }));
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
