// The ticket vocabulary of DESIGN §2, stored in English; shown in the contact's language by the
// notification catalogues.
export const TYPES = ['correction', 'evolution', 'assistance', 'maintenance'] as const;
export const PRIORITIES = ['minor', 'major', 'blocking', 'critical'] as const;
export const STATUSES = ['new', 'feedback', 'confirmed', 'assigned', 'resolved', 'closed'] as const;
export const RESOLUTIONS = [
  'open', 'fixed', 'reopened', 'unable_to_reproduce', 'unable_to_fix', 'duplicate', 'not_a_bug',
  'suspended', 'wont_fix',
] as const;

export type TicketType = (typeof TYPES)[number];
export type Priority = (typeof PRIORITIES)[number];
export type Status = (typeof STATUSES)[number];
export type Resolution = (typeof RESOLUTIONS)[number];

export const DEFAULTS = { type: 'assistance', priority: 'minor', status: 'new', resolution: 'open' } as const;
