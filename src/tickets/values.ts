// The ticket vocabulary is declared with the schema (src/db/schema.ts), where the columns take its
// types; this module adds what the workflow chooses when nobody said otherwise.
export { PRIORITIES, RESOLUTIONS, STATUSES, TYPES, VISIBILITIES } from '../db/schema.ts';
export type { Priority, Resolution, Status, TicketType, Visibility } from '../db/schema.ts';

export const DEFAULTS = { type: 'assistance', priority: 'minor', status: 'new', resolution: 'open', visibility: 'public' } as const;
