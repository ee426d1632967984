// Fields a client sets by email (DESIGN §4): `Type:`, `Priorité :`… lines at the very top of a new
// ticket's body. Pure: the caller matches project and products against the database, falls back to
// defaults for what is reported unknown, and tells the client.
import type { Priority, TicketType, Visibility } from '../db/schema.ts';
import type { FallbackField } from '../tickets/notices.ts';

export type PseudoHeaderField = FallbackField;

export interface PseudoHeaderFields {
  type?: TicketType;
  priority?: Priority;
  project?: string;
  products?: string[];
  visibility?: Visibility;
}

export interface PseudoHeaders {
  fields: PseudoHeaderFields;
  /** Values that matched no code, as given (trimmed); the field keeps its default. */
  unknown: Array<{ field: PseudoHeaderField; given: string }>;
  /** The description without the pseudo-header lines, trimmed. */
  body: string;
}

/** Lower case, no accents, single spaces, no trailing full stop: "  Évolution. " → "evolution". */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim().replace(/[.!]+$/, '').trim();
}

// Keys and values are written here already folded.
const KEYS: Record<string, PseudoHeaderField> = {
  type: 'type',
  priority: 'priority', priorite: 'priority',
  project: 'project', projet: 'project',
  products: 'products', produits: 'products', product: 'products', produit: 'products',
  visibility: 'visibility', visibilite: 'visibility',
};

export const synonyms = <T extends string>(table: Record<T, string[]>): Map<string, T> =>
  new Map(Object.entries<string[]>(table).flatMap(([code, words]) => [code, ...words].map((w) => [w, code as T] as const)));

export const TYPE_WORDS = synonyms<TicketType>({
  correction: ['bug', 'anomalie', 'anomaly', 'defect', 'defaut'],
  evolution: ['feature', 'feature request', 'nouvelle fonctionnalite', 'fonctionnalite', 'enhancement', 'amelioration',
    'change request', 'demande d\'evolution'],
  assistance: ['question', 'assistance technique', 'support', 'help', 'aide'],
  // The seed guide's own label reads "Tâche de maintenant".
  maintenance: ['tache de maintenance', 'maintenance task', 'tache de maintenant'],
});
// "high" is read as major: the next step up from the default, never an alarm the client did not raise.
export const PRIORITY_WORDS = synonyms<Priority>({
  minor: ['mineur', 'mineure', 'low', 'basse', 'faible'],
  major: ['majeur', 'majeure', 'high', 'haute', 'elevee'],
  blocking: ['bloquant', 'bloquante', 'blocker', 'blocking'],
  critical: ['critique'],
});
const VISIBILITY_WORDS = synonyms<Visibility>({
  private: ['prive', 'privee'],
  public: ['publique'],
});

// A key of letters, then any spaces (French puts a no-break space before the colon), then ':'.
const HEADER_LINE = /^[ \t]*(\p{L}+)\s*:(.*)$/u;

/**
 * Takes the pseudo-headers off the top of `body`: blank lines may come first, then the block runs
 * until the first line that is not a known `Key: value` (a blank line included), so a similar line
 * further down is left in the description. A later repeat of a key wins; an empty value is ignored.
 * `maintenance` is staff-only: unless allowMaintenance, it is reported unknown.
 */
export function extractPseudoHeaders(body: string, opts: { allowMaintenance?: boolean } = {}): PseudoHeaders {
  const fields: PseudoHeaderFields = {};
  const unknown = new Map<PseudoHeaderField, string>();
  let offset = 0;
  let inBlock = false;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\n', offset);
    const next = lineEnd === -1 ? body.length : lineEnd + 1;
    const line = body.slice(offset, next).replace(/\r?\n$/, '');
    if (!inBlock && line.trim() === '') { offset = next; continue; }
    const match = HEADER_LINE.exec(line);
    const field = match ? KEYS[fold(match[1]!)] : undefined;
    if (!match || !field) break;
    inBlock = true;
    offset = next;
    const given = match[2]!.trim();
    if (given === '') continue;
    unknown.delete(field);
    delete fields[field];
    if (!setField(fields, field, given, opts.allowMaintenance ?? false)) unknown.set(field, given);
  }
  return {
    fields,
    unknown: [...unknown].map(([field, given]) => ({ field, given })),
    body: (inBlock ? body.slice(offset) : body).trim(),
  };
}

/** Sets `field` from the client's words; false when they match no code. */
function setField(fields: PseudoHeaderFields, field: PseudoHeaderField, given: string, allowMaintenance: boolean): boolean {
  switch (field) {
    case 'project':
      fields.project = given;
      return true;
    case 'products': {
      const list = [...new Set(given.split(/[,;]/).map((p) => p.trim()).filter(Boolean))];
      if (list.length) fields.products = list;
      return true;
    }
    case 'type': {
      const type = TYPE_WORDS.get(fold(given));
      if (!type || (type === 'maintenance' && !allowMaintenance)) return false;
      fields.type = type;
      return true;
    }
    case 'priority': {
      const priority = PRIORITY_WORDS.get(fold(given));
      if (priority) fields.priority = priority;
      return priority !== undefined;
    }
    case 'visibility': {
      const visibility = VISIBILITY_WORDS.get(fold(given));
      if (visibility) fields.visibility = visibility;
      return visibility !== undefined;
    }
  }
}
