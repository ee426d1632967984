// What the /api/v1 sub-apps are built from.
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StaffVerbDeps } from '../../tickets/staff-verbs.ts';

export interface ApiDeps {
  db: Kysely<Database>;
  /** The installation's integration token (admin.apiToken); staff tokens work without it. */
  apiToken: string | null;
  /** How the integration token signs what it writes (config support.name). */
  supportName?: string;
  verbs: StaffVerbDeps;
  now?: () => Date;
}
