// What a staff member's mail asks for besides its text (DESIGN §4, staff side): a first line
// `#note` keeps the answer internal, and `Key: value` lines at the top run the staff verbs
// (`Status: resolved`, `Résolution : corrigé`, `Assign: me`, `Duplicate: #12`…), in English or
// French. Pure: the handler runs what this finds through the same verbs as the API, and a line
// that names no known value is reported, so nothing half-understood reaches a ticket.
import type { Priority, Resolution, Status, TicketType } from '../db/schema.ts';
import type { FieldChanges } from '../tickets/staff-verbs.ts';
import { fold, PRIORITY_WORDS, synonyms, TYPE_WORDS } from './pseudo-headers.ts';

export interface StaffCommands {
  /** `#note` on the first line: an internal note, never mailed to the client. */
  internal: boolean;
  changes: FieldChanges;
  /** Lines that looked like commands and could not be read, each with why. */
  errors: string[];
  /** The text without the `#note` line and the commands, trimmed. */
  text: string;
}

type Command = 'status' | 'resolution' | 'priority' | 'type' | 'assign' | 'duplicate';

// Keys and values are written here already folded (fold: lower case, no accents).
const KEYS: Record<string, Command> = {
  status: 'status', statut: 'status', etat: 'status',
  resolution: 'resolution',
  priority: 'priority', priorite: 'priority',
  type: 'type',
  assign: 'assign', assignee: 'assign', assigner: 'assign', attribuer: 'assign', affecter: 'assign', 'assigne a': 'assign',
  duplicate: 'duplicate', 'duplicate of': 'duplicate', doublon: 'duplicate', 'doublon de': 'duplicate',
};

const STATUS_WORDS = synonyms<Status>({
  new: ['nouveau'],
  feedback: ['retour d\'informations', 'retour d’informations', 'commentaire', 'waiting for customer', 'en attente'],
  confirmed: ['confirme', 'confirmee'],
  assigned: ['affecte', 'affectee', 'assigne', 'assignee'],
  resolved: ['traite', 'traitee', 'resolu', 'resolue', 'done'],
  closed: ['ferme', 'fermee', 'clos', 'close'],
});
const RESOLUTION_WORDS = synonyms<Resolution>({
  open: ['ouvert'],
  fixed: ['corrige', 'resolu'],
  reopened: ['reouvert', 'rouvert'],
  unable_to_reproduce: ['impossible a reproduire', 'unable to reproduce', 'cannot reproduce', 'non reproductible'],
  unable_to_fix: ['impossible a corriger', 'unable to fix'],
  duplicate: ['doublon'],
  not_a_bug: ['pas une anomalie', 'not a bug'],
  suspended: ['suspendu'],
  wont_fix: ['ne sera pas corrige', 'won\'t fix', 'wont fix'],
});
const ME = new Set(['me', 'moi', 'myself']);
const NOBODY = new Set(['nobody', 'none', 'personne', 'aucun']);

const NOTE_LINE = /^[ \t]*#(note|interne|internal)\b[ \t]*$/i;
// A key of letters and spaces (French puts a no-break space before the colon), then ':'.
const COMMAND_LINE = /^[ \t]*([\p{L} '’]{2,20}?)\s*:(.*)$/u;

function read<T extends string>(words: Map<string, T>, value: string): T | undefined {
  return words.get(fold(value).replace(/_/g, ' ')) ?? words.get(fold(value));
}

/** Reads the commands off the top of `text`, for the staff member `self` (whom `Assign: me` names). */
export function readStaffCommands(text: string, self: string): StaffCommands {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const internal = i < lines.length && NOTE_LINE.test(lines[i]!);
  if (internal) i++;
  const changes: FieldChanges = {};
  const errors: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const m = COMMAND_LINE.exec(line);
    const command = m ? KEYS[fold(m[1]!)] : undefined;
    if (!m || !command) break;
    const value = m[2]!.trim();
    const word = fold(value);
    switch (command) {
      case 'status': {
        const status = read(STATUS_WORDS, value);
        if (status) changes.status = status;
        else errors.push(`"${line.trim()}": no status "${value}"`);
        break;
      }
      case 'resolution': {
        const resolution = read(RESOLUTION_WORDS, value);
        if (resolution) changes.resolution = resolution;
        else errors.push(`"${line.trim()}": no resolution "${value}"`);
        break;
      }
      case 'priority': {
        const priority: Priority | undefined = read(PRIORITY_WORDS, value);
        if (priority) changes.priority = priority;
        else errors.push(`"${line.trim()}": no priority "${value}"`);
        break;
      }
      case 'type': {
        const type: TicketType | undefined = read(TYPE_WORDS, value);
        if (type) changes.type = type;
        else errors.push(`"${line.trim()}": no type "${value}"`);
        break;
      }
      case 'assign':
        if (ME.has(word)) changes.assignee = self;
        else if (NOBODY.has(word)) changes.assignee = null;
        else if (/^[^\s@]+@[^\s@]+$/.test(value)) changes.assignee = value.toLowerCase();
        else errors.push(`"${line.trim()}": name a staff member's address, "me" or "nobody"`);
        break;
      case 'duplicate': {
        const n = /^#?\s*(\d{1,12})$/.exec(value);
        if (n) changes.duplicateOf = Number(n[1]);
        else errors.push(`"${line.trim()}": name the ticket it duplicates, e.g. #12`);
        break;
      }
    }
  }
  return { internal, changes, errors, text: lines.slice(i).join('\n').trim() };
}
