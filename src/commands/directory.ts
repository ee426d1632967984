// guichet projects add <KEY> <name> [--address a]... [--product p]... [--staff email]...
// guichet organisations add <name> [--domain d]... [--project KEY]... [--validate]
// guichet staff add <email> <name> [--admin]
// guichet projects|organisations|staff list
// The directory Guichet routes and notifies by, until the admin pages manage it.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import type { Config } from '../config.ts';

export async function directoryCommand(config: Config, kind: string, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', multiple: true },
      product: { type: 'string', multiple: true },
      staff: { type: 'string', multiple: true },
      domain: { type: 'string', multiple: true },
      project: { type: 'string', multiple: true },
      validate: { type: 'boolean' },
      admin: { type: 'boolean' },
    },
  });
  const [verb, first, second] = positionals;
  const { openDatabase } = await import('../db/connect.ts');
  const { migrateToLatest } = await import('../db/migrate.ts');
  const database = openDatabase(config.database.url);
  const { db } = database;
  const at = new Date().toISOString();
  try {
    await migrateToLatest(db);
    if (kind === 'projects' && verb === 'add' && first && second) {
      await db.transaction().execute(async (trx) => {
        const p = await trx.insertInto('project').values({ key: first.toUpperCase(), name: second, default_type: 'assistance', created_at: at }).returning('id').executeTakeFirstOrThrow();
        for (const address of values.address ?? []) await trx.insertInto('project_address').values({ address: address.toLowerCase(), project_id: p.id }).execute();
        for (const name of values.product ?? []) await trx.insertInto('product').values({ project_id: p.id, name }).execute();
        for (const email of values.staff ?? []) {
          const s = await trx.selectFrom('staff').select('id').where('email', '=', email.toLowerCase()).executeTakeFirst();
          if (!s) throw new Error(`no staff member ${email}`);
          await trx.insertInto('project_staff').values({ project_id: p.id, staff_id: s.id }).execute();
        }
      });
      out(`project ${first.toUpperCase()} added\n`);
      return 0;
    }
    if (kind === 'organisations' && verb === 'add' && first) {
      await db.transaction().execute(async (trx) => {
        const o = await trx.insertInto('organisation').values({ name: first, requires_validation: values.validate ? 1 : 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
        for (const domain of values.domain ?? []) await trx.insertInto('organisation_domain').values({ domain: domain.toLowerCase(), organisation_id: o.id }).execute();
        for (const key of values.project ?? []) {
          const p = await trx.selectFrom('project').select('id').where('key', '=', key.toUpperCase()).executeTakeFirst();
          if (!p) throw new Error(`no project ${key}`);
          await trx.insertInto('organisation_project').values({ organisation_id: o.id, project_id: p.id }).execute();
        }
      });
      out(`organisation ${first} added\n`);
      return 0;
    }
    if (kind === 'staff' && verb === 'add' && first && second) {
      const password = randomBytes(12).toString('base64url');
      await db.insertInto('staff').values({
        email: first.toLowerCase(), name: second, password_hash: await hash(password), role: values.admin ? 'admin' : 'agent', active: 1, created_at: at,
      }).execute();
      out(`staff ${first} added; password (shown once): ${password}\n`);
      return 0;
    }
    if (verb === 'list') {
      if (kind === 'projects') {
        for (const p of await db.selectFrom('project').select(['key', 'name']).orderBy('key').execute()) out(`${p.key}\t${p.name}\n`);
      } else if (kind === 'organisations') {
        const rows = await db.selectFrom('organisation').leftJoin('organisation_domain', 'organisation_domain.organisation_id', 'organisation.id')
          .select(['organisation.name', 'organisation.requires_validation', 'organisation_domain.domain']).orderBy('organisation.name').execute();
        for (const r of rows) out(`${r.name}\t${r.domain ?? ''}${r.requires_validation ? '\t(validates members)' : ''}\n`);
      } else {
        for (const s of await db.selectFrom('staff').select(['email', 'name', 'role']).orderBy('email').execute()) out(`${s.email}\t${s.name}\t${s.role}\n`);
      }
      return 0;
    }
    out(`usage: guichet projects add <KEY> <name> [--address a] [--product p] [--staff email] | list
       guichet organisations add <name> [--domain d] [--project KEY] [--validate] | list
       guichet staff add <email> <name> [--admin] | list
`);
    return 2;
  } catch (err) {
    out(`guichet ${kind}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await database.close();
  }
}
