// The variables each notification template takes, by template name: the contract between what
// notify/ composes (notifier.ts) and what the templates and catalogues show (render.ts, i18n/).
import type { Priority, Resolution, Status, TicketType } from '../db/schema.ts';
import type { Fallback } from '../tickets/notices.ts';

/** One answer to "which project?": a mailto link that files the waiting message on the project. */
export interface ProjectChoice { name: string; mailto: string }

/** The summary box every ticket notification carries; the values are stored codes. */
export interface TicketVars {
  number: number;
  summary: string;
  status: Status;
  priority: Priority;
  project?: string;
  /** Greets the recipient by name; a plain "Hello," without it. */
  contactName?: string;
}
/** Free text shown as a message block (paragraphs kept); authorName introduces it. */
interface MessageVars { message?: string; authorName?: string }

export interface TemplateVars {
  'ticket-received': TicketVars & { unknownTag?: number | null; fallbacks?: Fallback[] };
  'feedback-requested': TicketVars & { message: string; authorName?: string };
  'ticket-confirmed': TicketVars & MessageVars;
  'ticket-assigned': TicketVars & MessageVars & { assigneeName?: string };
  'ticket-resolved': TicketVars & MessageVars & {
    resolution: Resolution; confirmMailto: string; reopenMailto: string; autoCloseDays?: number;
  };
  'ticket-closed': TicketVars & MessageVars & { resolution: Resolution };
  'ticket-reopened': TicketVars & MessageVars;
  'ticket-duplicate': TicketVars & MessageVars & { duplicateOf: number; duplicateOfSummary: string };
  'priority-changed': TicketVars & MessageVars & { previousPriority: Priority };
  'type-changed': TicketVars & MessageVars & { type: TicketType; previousType: TicketType };
  'staff-reply': TicketVars & { message: string; authorName: string };
  'auto-closed': TicketVars & { resolution: Resolution; days: number };
  'account-pending': { email: string; originalSubject?: string; contactName?: string };
  'account-refused': { email: string; originalSubject?: string; contactName?: string } & MessageVars;
  'project-question': { originalSubject: string; projects: ProjectChoice[]; contactName?: string };
  'maintenance-announcement': TicketVars & {
    message: string; startsAt: Date; endsAt?: Date; organisation?: string; authorName?: string;
  };
  'staff-alert': TicketVars & {
    newTicket: boolean; authorName: string; authorEmail: string; organisation?: string; message: string;
  };
  /** To a staff member whose mail to a ticket could not be carried out: why, so they can send it again. */
  'staff-mail-refused': TicketVars & { reason: string };
  /** To a new staff member: a link to the admin to choose their password (adminLink, an https link, not a mailto). */
  'staff-invite': { email: string; contactName?: string; adminLink: string; expiresAt: Date; invitedBy: string };
  /** To a staff member who asked for it: a link to the admin to choose a new password. */
  'password-reset': { email: string; contactName?: string; adminLink: string; expiresAt: Date };
  /** To staff, once the mail relay works again after an outage: when, why, how much mail waited. */
  'relay-outage': { since: Date; until: Date; lastError: string; queued: number };
}
export type TemplateName = keyof TemplateVars;

