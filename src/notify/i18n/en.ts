// Every word a notification shows in English. Templates only arrange these strings; the French
// catalogue must hold exactly the same keys (checked by the compiler, see `Catalogue`).
//
// Strings are plain text, never HTML: the renderer escapes them after filling them in. They may use
// the template placeholders: `{{name}}` for a variable, `{{#name}}…{{/name}}` for a part shown only
// when the variable is set, `{{^name}}…{{/name}}` for a part shown only when it is not, and
// `{{common.key}}` for another string of this catalogue. In a template, `{{t.key}}` reads the
// template's own string and falls back to `common` (so `why`/`how` are overridden where needed).
import type { Priority, Resolution, Status, TicketType } from '../../db/schema.ts';
import type { FallbackField } from '../../tickets/notices.ts';
import type { TemplateName } from '../template-vars.ts';

interface TemplateStrings {
  subject: string;
  preview: string;
  heading: string;
  [key: string]: string;
}

interface CatalogueShape {
  common: Record<string, string>;
  status: Record<Status, string>;
  priority: Record<Priority, string>;
  type: Record<TicketType, string>;
  resolution: Record<Resolution, string>;
  field: Record<FallbackField, string>;
  visibility: Record<'public' | 'private', string>;
  templates: Record<TemplateName, TemplateStrings>;
}

export const en = {
  common: {
    greeting: 'Hello{{#contactName}} {{contactName}}{{/contactName}},',
    signoff: 'The {{productName}} team',
    fieldTicket: 'Ticket',
    summaryTitle: 'Ticket #{{number}}: {{summary}}',
    fieldSummary: 'Summary',
    fieldStatus: 'Status',
    fieldPriority: 'Priority',
    fieldProject: 'Project',
    summaryLine:
      'Status: {{statusLabel}} · Priority: {{priorityLabel}}{{#project}} · Project: {{project}}{{/project}}',
    messageFrom:
      '{{#authorName}}Message from {{authorName}}:{{/authorName}}{{^authorName}}Message from our team:{{/authorName}}',
    why: 'You receive this email from {{productName}} because you reported or follow ticket #{{number}}.',
    how: 'To answer, reply to this email and write above the line at the top. Please keep the ticket number in the subject.',
  },
  status: {
    new: 'New',
    feedback: 'Feedback awaited',
    confirmed: 'Confirmed',
    assigned: 'Assigned',
    resolved: 'Resolved',
    closed: 'Closed',
  },
  priority: { minor: 'minor', major: 'major', blocking: 'blocking', critical: 'critical' },
  type: {
    correction: 'Correction',
    evolution: 'Change request',
    assistance: 'Technical assistance',
    maintenance: 'Maintenance task',
  },
  resolution: {
    open: 'Open',
    fixed: 'Fixed',
    reopened: 'Reopened',
    unable_to_reproduce: 'Unable to reproduce',
    unable_to_fix: 'Unable to fix',
    duplicate: 'Duplicate',
    not_a_bug: 'Not a bug',
    suspended: 'Suspended',
    wont_fix: "Won't fix",
  },
  field: { type: 'Type', priority: 'Priority', project: 'Project', products: 'Products', visibility: 'Visibility' },
  visibility: { public: 'public', private: 'private' },
  templates: {
    'ticket-received': {
      subject: 'We received your request: {{summary}}',
      preview: 'Your request is registered as ticket #{{number}}.',
      heading: 'We received your request',
      intro:
        'Thank you for writing to us. Your request is registered as ticket #{{number}}. Our team will look at it shortly and keep you informed by email at every step.',
      unknownTag:
        'Your subject mentioned ticket #{{unknownTag}}, which we could not find, so we opened a new ticket for this message.',
      fallbacksIntro: 'Some values in your message were not recognised, so we used the defaults:',
      fallbackItem: '{{fieldLabel}}: “{{given}}” not recognised, “{{usedLabel}}” used instead.',
      fallbacksAfter: 'Our team may adjust these values; you will be told if they change.',
    },
    'feedback-requested': {
      subject: 'Information needed: {{summary}}',
      preview: 'Our team needs information from you to continue on ticket #{{number}}.',
      heading: 'We need more information',
      intro: 'To continue working on ticket #{{number}}, our team needs some information from you.',
      after: 'Please answer by replying to this email. Work on the ticket resumes as soon as we receive your answer.',
    },
    'ticket-confirmed': {
      subject: 'Request confirmed: {{summary}}',
      preview: 'Ticket #{{number}} is confirmed; work can start.',
      heading: 'Your request is confirmed',
      intro:
        'We have reviewed ticket #{{number}} and confirmed it. Work on it can now start; we will tell you when it is assigned.',
    },
    'ticket-assigned': {
      subject: 'Work in progress: {{summary}}',
      preview: 'Ticket #{{number}} is assigned and work is in progress.',
      heading: 'Work on your request has started',
      intro:
        'Ticket #{{number}} is now assigned to {{#assigneeName}}{{assigneeName}}{{/assigneeName}}{{^assigneeName}}a member of our team{{/assigneeName}}, who is working on it.',
    },
    'ticket-resolved': {
      subject: 'Please check: {{summary}}',
      preview: 'Ticket #{{number}} is resolved. Please tell us whether everything works.',
      heading: 'Your request has been handled',
      intro:
        'We have finished working on ticket #{{number}} (resolution: {{resolutionLabel}}). Please check that everything works as expected and let us know.',
      confirm: 'Yes, it works',
      reopen: 'No, still broken',
      linksHelp:
        'Each button opens a prepared reply in your email program: just send it. You can also reply to this email; your message is added to the ticket for our team.',
      autoClose: 'Without an answer within {{autoCloseDays}} days, the ticket will be closed automatically.',
    },
    'ticket-closed': {
      subject: 'Ticket closed: {{summary}}',
      preview: 'Ticket #{{number}} is closed.',
      heading: 'Your ticket is closed',
      intro: 'Ticket #{{number}} is now closed (resolution: {{resolutionLabel}}). Thank you for your help.',
      after: 'If the problem comes back, simply reply to this email and we will follow up.',
    },
    'ticket-reopened': {
      subject: 'Ticket reopened: {{summary}}',
      preview: 'Ticket #{{number}} is reopened.',
      heading: 'Your ticket is reopened',
      intro: 'Ticket #{{number}} has been reopened. Our team is working on it again and will keep you informed.',
    },
    'ticket-duplicate': {
      subject: 'Followed in ticket #{{duplicateOf}}: {{summary}}',
      preview: 'Ticket #{{number}} duplicates ticket #{{duplicateOf}}.',
      heading: 'Your request is followed in another ticket',
      intro:
        'Ticket #{{number}} covers the same subject as another ticket, so we have closed it as a duplicate. From now on, please follow this ticket:',
      after: 'Replies to this email will be added to ticket #{{duplicateOf}}.',
    },
    'priority-changed': {
      subject: 'Priority changed to {{priorityLabel}}: {{summary}}',
      preview: 'The priority of ticket #{{number}} is now {{priorityLabel}}.',
      heading: 'The priority of your ticket has changed',
      intro: 'Our team has changed the priority of ticket #{{number}} from {{previousPriorityLabel}} to {{priorityLabel}}.',
    },
    'type-changed': {
      subject: 'Type changed to {{typeLabel}}: {{summary}}',
      preview: 'Ticket #{{number}} is now handled as: {{typeLabel}}.',
      heading: 'The type of your ticket has changed',
      intro: 'Our team has changed the type of ticket #{{number}} from {{previousTypeLabel}} to {{typeLabel}}.',
    },
    'staff-reply': {
      subject: 'New reply: {{summary}}',
      preview: '{{authorName}} replied on ticket #{{number}}.',
      heading: 'New reply on your ticket',
      intro: '{{authorName}} replied on ticket #{{number}}.',
    },
    'auto-closed': {
      subject: 'Ticket closed automatically: {{summary}}',
      preview: 'Ticket #{{number}} was closed after {{days}} days without an answer.',
      heading: 'Your ticket was closed automatically',
      intro:
        'Ticket #{{number}} was resolved {{days}} days ago and we have not heard from you since, so we have closed it (resolution: {{resolutionLabel}}).',
      after: 'If the problem is still there, simply reply to this email and we will follow up.',
    },
    'account-pending': {
      subject: 'Your account awaits validation',
      preview: 'Your message is kept until your account is validated.',
      heading: 'Your account awaits validation',
      intro:
        'We received your message{{#originalSubject}} “{{originalSubject}}”{{/originalSubject}}, but the address {{email}} is not yet known to our support team.',
      after:
        'Your account now awaits validation by our team. Your message is kept safe: once the account is validated, it becomes a ticket and you receive its number. There is no need to write again.',
      why: 'You receive this email once because a message was sent from {{email}} to {{productName}}.',
      how: 'There is nothing more to do for now. If you did not write to us, you can ignore this email.',
    },
    'account-refused': {
      subject: 'Your support request could not be accepted',
      preview: 'We could not validate a support account for {{email}}.',
      heading: 'We could not accept your request',
      intro:
        'We could not validate a support account for {{email}}, so your message{{#originalSubject}} “{{originalSubject}}”{{/originalSubject}} will not be handled.',
      after: 'If you think this is a mistake, please contact your usual correspondent in our team.',
      why: 'You receive this email because a message was sent from {{email}} to {{productName}}.',
      how: 'Replies to this email are not handled automatically.',
    },
    'project-question': {
      subject: 'Which project is your request about?',
      preview: 'Choose the project of your request to open the ticket.',
      heading: 'Which project is your request about?',
      intro:
        'We received your message “{{originalSubject}}”. Your organisation works with us on several projects: please tell us which one it concerns.',
      linksHelp:
        'Each link opens a prepared email in your email program: just send it, and your request becomes a ticket on that project.',
      why: 'You receive this email because you wrote to {{productName}}.',
      how: 'Your message is kept until you choose a project.',
    },
    'maintenance-announcement': {
      subject: 'Planned maintenance: {{summary}}',
      preview: 'Planned maintenance starting {{startsAt}}.',
      heading: 'Planned maintenance',
      intro: 'We will carry out a maintenance operation on a service you use. Here is what to expect.',
      whenLabel: 'When',
      when: '{{#endsAt}}From {{startsAt}} to {{endsAt}}{{/endsAt}}{{^endsAt}}Starting {{startsAt}}{{/endsAt}}',
      why: 'You receive this email from {{productName}} as a contact{{#organisation}} of {{organisation}}{{/organisation}} for this service.',
      how: 'A question about this operation? Reply to this email and write above the line at the top.',
    },
    'staff-alert': {
      subject: '{{#newTicket}}New ticket{{/newTicket}}{{^newTicket}}Client reply{{/newTicket}}: {{summary}}',
      preview: '{{authorName}} {{#newTicket}}opened ticket{{/newTicket}}{{^newTicket}}replied on ticket{{/newTicket}} #{{number}}.',
      heading: '{{#newTicket}}New ticket #{{number}}{{/newTicket}}{{^newTicket}}Client reply on #{{number}}{{/newTicket}}',
      intro:
        '{{authorName}} ({{authorEmail}}{{#organisation}}, {{organisation}}{{/organisation}}) {{#newTicket}}opened this ticket.{{/newTicket}}{{^newTicket}}replied on this ticket; it now awaits an answer from staff.{{/newTicket}}',
      signoff: '{{productName}}',
      why: 'You receive this alert as a member of the {{productName}} staff.',
      how:
        'Reply to this email to answer the client: only your new text is sent, under your name. A first line #note keeps it internal; lines such as "Status: resolved", "Priority: major", "Assign: me" or "Duplicate: #12" at the top change the ticket.',
    },
    'staff-mail-refused': {
      subject: 'Your mail was not applied: {{summary}}',
      preview: 'Nothing was changed on ticket #{{number}}: {{reason}}',
      heading: 'Your mail to ticket #{{number}} was not applied',
      intro: 'Nothing was posted or changed on the ticket, and the client received nothing. The reason:',
      after: 'Correct the command lines at the top of your mail (or remove them) and send it again.',
      signoff: '{{productName}}',
      why: 'You receive this answer because you wrote to ticket #{{number}} as a member of the {{productName}} staff.',
      how: 'Commands: Status, Resolution, Priority, Type, Assign (me, nobody or an address), Duplicate (#N); a first line #note for an internal note.',
    },
    'staff-invite': {
      subject: 'You are invited to the {{productName}} support admin',
      preview: '{{invitedBy}} invited you: choose your password before {{expiresAt}}.',
      heading: 'Welcome to the {{productName}} staff',
      intro: '{{invitedBy}} invited you ({{email}}) to answer support requests in the {{productName}} admin. Choose your password to sign in:',
      button: 'Choose my password',
      expires: 'This link works once, until {{expiresAt}}. After that, ask for a new one with “Forgot your password?” on the sign-in page.',
      signoff: '{{productName}}',
      why: 'You receive this email because an admin of {{productName}} invited {{email}} to its staff.',
      how: 'If you did not expect it, ignore it: nothing happens without the link.',
    },
    'password-reset': {
      subject: 'Choose a new password for the {{productName}} admin',
      preview: 'A link to choose a new password, valid until {{expiresAt}}.',
      heading: 'Choose a new password',
      intro: 'A new password was asked for {{email}} on the {{productName}} admin. Choose it here:',
      button: 'Choose a new password',
      expires: 'This link works once, until {{expiresAt}}. Saving a new password signs out every session of your account.',
      signoff: '{{productName}}',
      why: 'You receive this email because a password reset was asked for {{email}} on {{productName}}.',
      how: 'If you did not ask for it, ignore it: your password stays as it is.',
    },
    'relay-outage': {
      subject: 'Outgoing mail was stalled, and is flowing again',
      preview: 'The mail relay failed from {{since}} to {{until}}; no notification was lost.',
      heading: 'Outgoing mail was stalled',
      intro:
        'The mail relay could not be used from {{since}} to {{until}}. No notification was lost: they waited in the outbox, and the {{queued}} still waiting are being sent now.',
      errorLabel: 'Last error:',
      after: 'If it happens again, check the relay and its credentials (smtp.url). While it lasts, /healthz shows the outbox as stalled.',
      signoff: '{{productName}}',
      why: 'You receive this alert as a member of the {{productName}} staff.',
      how: 'Replies to this email are not handled automatically.',
    },
  },
} satisfies CatalogueShape;

/** What every language must provide: the same keys as English, each a string. */
export type Catalogue = typeof en;
