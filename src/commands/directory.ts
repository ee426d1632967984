// guichet projects add <KEY> <name> [--address a]... [--product p]... [--staff email]...
// guichet organisations add <name> [--domain d]... [--project KEY]... [--validate]
// guichet staff add <email> <name> [--admin]
// guichet projects|organisations|staff list
// The command reads its arguments and prints; the directory itself is accounts/directory.ts.
import { parseArgs } from 'node:util';
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
  const now = new Date();
  const { addOrganisation, addProject, addStaff, listOrganisations, listProjects, listStaff } = await import('../accounts/directory.ts');
  try {
    await migrateToLatest(db);
    if (kind === 'projects' && verb === 'add' && first && second) {
      const key = await addProject(db, { key: first, name: second, addresses: values.address, products: values.product, staff: values.staff }, now);
      out(`project ${key} added\n`);
      return 0;
    }
    if (kind === 'organisations' && verb === 'add' && first) {
      await addOrganisation(db, { name: first, domains: values.domain, projects: values.project, validatesMembers: values.validate }, now);
      out(`organisation ${first} added\n`);
      return 0;
    }
    if (kind === 'staff' && verb === 'add' && first && second) {
      const password = await addStaff(db, { email: first, name: second, admin: values.admin }, now);
      out(`staff ${first} added; password (shown once): ${password}\n`);
      return 0;
    }
    if (verb === 'list') {
      if (kind === 'projects') {
        for (const p of await listProjects(db)) out(`${p.key}\t${p.name}\n`);
      } else if (kind === 'organisations') {
        for (const r of await listOrganisations(db)) out(`${r.name}\t${r.domain ?? ''}${r.requires_validation ? '\t(validates members)' : ''}\n`);
      } else {
        for (const s of await listStaff(db)) out(`${s.email}\t${s.name}\t${s.role}\n`);
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
