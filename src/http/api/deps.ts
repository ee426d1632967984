// What the /api/v1 sub-apps are built from.
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StaffVerbDeps } from '../../tickets/staff-verbs.ts';

export interface ApiDeps {
  db: Kysely<Database>;
  apiToken: string | null;
  verbs: StaffVerbDeps;
}
