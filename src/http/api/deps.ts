// What the /api/v1 sub-apps are built from.
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { visibleProjects, type Scope } from '../../tickets/rights.ts';
import type { StaffVerbDeps } from '../../tickets/staff-verbs.ts';
import type { AdminPorts } from '../admin/ports.ts';
import type { ApiCaller } from '../auth.ts';

export interface ApiDeps {
  db: Kysely<Database>;
  /** The installation's integration token (admin.apiToken); staff tokens work without it. */
  apiToken: string | null;
  /** How the integration token signs what it writes (config support.name). */
  supportName?: string;
  verbs: StaffVerbDeps;
  now?: () => Date;
  /**
   * The intake and the outbox, as the admin's People and Mail pages have them (src/app.ts passes the
   * same): /contacts, /outbox and /inbound are served only with them.
   */
  ports?: AdminPorts;
}

/** What the caller may see (tickets/rights.ts): the integration token and admins everything, an agent their projects. */
/**
 * A project named in a request (a ticket opened for a client, an announcement) must be one the caller
 * may see; another is answered as an unknown one would be, so the answer does not tell it exists.
 */
export async function mustUseProject(deps: Pick<ApiDeps, 'db'>, caller: ApiCaller, key: string | undefined): Promise<void> {
  if (!key) return;
  const scope = await callerScope(deps, caller);
  if (scope === 'all') return;
  const project = await deps.db.selectFrom('project').select('id').where('key', '=', key).executeTakeFirst();
  if (!project || !scope.includes(project.id)) throw new HTTPException(422, { message: `no project ${key}` });
}

export const callerScope = (deps: Pick<ApiDeps, 'db'>, caller: ApiCaller): Promise<Scope> =>
  visibleProjects(deps.db, { staffId: caller.actor.staffId, role: caller.role });
