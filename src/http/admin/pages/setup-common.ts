// What the setup pages share: their strings (English and French), the tabs between them, the form
// fields' shapes (one value per line, several checkboxes) and the admins-only gate.
import type { Context, MiddlewareHandler } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import type { AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
export { fill } from '../i18n.ts';
import { flash, page, type Markup } from '../layout.ts';

const en = {
  setup: 'Setup',
  adminsOnly: 'Only admins may change the setup.',
  formExpired: 'This form has expired. Please try again.',
  tabs: { projects: 'Projects', organisations: 'Organisations', staff: 'Staff', mailboxes: 'Mailboxes' },
  save: 'Save',
  edit: 'Edit',
  none: 'none',
  yes: 'yes',
  no: 'no',
  notFound: 'Not found.',
  refused: 'Not saved: {why}',
  onePerLine: 'One per line.',
  // Projects
  projects: 'Projects',
  noProjects: 'No projects yet.',
  addProject: 'Add a project',
  editProject: 'Project {key}',
  key: 'Key',
  keyHint: 'Letters, digits, - and _; clients may write to support+key@ to reach it.',
  name: 'Name',
  addresses: 'Addresses',
  addressesHint: 'Mail addresses this project receives on, one per line.',
  products: 'Products',
  productsHint: 'One per line. A product tickets carry cannot be removed.',
  projectStaff: 'Staff',
  projectStaffHint: 'Alerted about the project’s tickets (when none is assigned).',
  projectAdded: 'Project {key} added.',
  projectSaved: 'Project {key} saved.',
  // Organisations
  organisations: 'Organisations',
  noOrganisations: 'No organisations yet.',
  addOrganisation: 'Add an organisation',
  editOrganisation: 'Organisation {name}',
  domains: 'Mail domains',
  domainsHint: 'Mail from these domains is the organisation’s, one per line (e.g. acme.com).',
  orgProjects: 'Projects it may use',
  requiresValidation: 'Requires validation',
  requiresValidationHint: 'New contacts of this organisation wait for staff to validate them.',
  contacts: 'Contacts',
  organisationAdded: 'Organisation {name} added.',
  organisationSaved: 'Organisation {name} saved.',
  // Staff
  staff: 'Staff',
  email: 'Email',
  role: 'Role',
  roles: { admin: 'Admin', agent: 'Agent' },
  state: 'State',
  active: 'active',
  inactive: 'inactive',
  tokens: 'API tokens',
  tokensLink: 'See and revoke every member’s API tokens',
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  makeAdmin: 'Make admin',
  makeAgent: 'Make agent',
  you: '(you)',
  staffAdded: '{email} added. Their password, shown only this once: copy it now and give it to them.',
  newPassword: 'Password of {email}',
  staffSaved: '{email} saved.',
  // Mailboxes
  mailboxes: 'Mailboxes',
  mailboxesIntro: 'What the configuration connects (change it in config.json or GUICHET_* variables, then restart). Passwords are never shown.',
  supportAddress: 'Support address',
  imap: 'IMAP mailbox',
  noImap: 'No IMAP mailbox is read (mail comes through the SMTP receiver or `guichet ingest`).',
  url: 'URL',
  idleConfigured: 'IDLE',
  pollCron: 'Poll schedule',
  markAs: 'Handled mail',
  connected: 'Connected',
  idleNow: 'Waiting in IDLE',
  lastPoll: 'Last poll',
  lastError: 'Last error',
  notRunning: 'not running in this process',
  never: 'never',
  lastUids: 'Last UID handled',
  mailbox: 'Mailbox',
  uidValidity: 'UIDVALIDITY',
  lastUid: 'Last UID',
  noUids: 'No mail read from an IMAP mailbox yet.',
  smtpIntake: 'SMTP receiver',
  noSmtpIntake: 'No SMTP receiver.',
  listen: 'Listens on',
  auth: 'Authentication',
  allowedClients: 'Allowed clients',
  anyClient: 'any',
  outbox: 'Outgoing mail',
  relay: 'SMTP relay',
  capture: 'Written to files in',
  stalledSince: 'Failing since',
  working: 'working',
  unknown: 'unknown',
};

export type SetupStrings = typeof en;

const fr: SetupStrings = {
  setup: 'Configuration',
  adminsOnly: 'Seuls les administrateurs peuvent modifier la configuration.',
  formExpired: 'Ce formulaire a expiré. Veuillez réessayer.',
  tabs: { projects: 'Projets', organisations: 'Organisations', staff: 'Équipe', mailboxes: 'Boîtes aux lettres' },
  save: 'Enregistrer',
  edit: 'Modifier',
  none: 'aucun',
  yes: 'oui',
  no: 'non',
  notFound: 'Introuvable.',
  refused: 'Non enregistré : {why}',
  onePerLine: 'Un par ligne.',
  projects: 'Projets',
  noProjects: 'Aucun projet pour l’instant.',
  addProject: 'Ajouter un projet',
  editProject: 'Projet {key}',
  key: 'Clé',
  keyHint: 'Lettres, chiffres, - et _ ; les clients peuvent écrire à support+clé@ pour le joindre.',
  name: 'Nom',
  addresses: 'Adresses',
  addressesHint: 'Adresses e-mail sur lesquelles ce projet reçoit, une par ligne.',
  products: 'Produits',
  productsHint: 'Un par ligne. Un produit porté par des tickets ne peut pas être retiré.',
  projectStaff: 'Équipe',
  projectStaffHint: 'Prévenue des tickets du projet (quand personne n’est assigné).',
  projectAdded: 'Projet {key} ajouté.',
  projectSaved: 'Projet {key} enregistré.',
  organisations: 'Organisations',
  noOrganisations: 'Aucune organisation pour l’instant.',
  addOrganisation: 'Ajouter une organisation',
  editOrganisation: 'Organisation {name}',
  domains: 'Domaines de messagerie',
  domainsHint: 'Le courrier de ces domaines est celui de l’organisation, un par ligne (par ex. acme.com).',
  orgProjects: 'Projets qu’elle peut utiliser',
  requiresValidation: 'Validation requise',
  requiresValidationHint: 'Les nouveaux contacts de cette organisation attendent d’être validés par l’équipe.',
  contacts: 'Contacts',
  organisationAdded: 'Organisation {name} ajoutée.',
  organisationSaved: 'Organisation {name} enregistrée.',
  staff: 'Équipe',
  email: 'E-mail',
  role: 'Rôle',
  roles: { admin: 'Administrateur', agent: 'Agent' },
  state: 'État',
  active: 'actif',
  inactive: 'inactif',
  tokens: 'Jetons d’API',
  tokensLink: 'Voir et révoquer les jetons d’API de chaque membre',
  deactivate: 'Désactiver',
  reactivate: 'Réactiver',
  makeAdmin: 'Rendre administrateur',
  makeAgent: 'Rendre agent',
  you: '(vous)',
  staffAdded: '{email} ajouté. Son mot de passe, affiché cette seule fois : copiez-le maintenant et transmettez-le.',
  newPassword: 'Mot de passe de {email}',
  staffSaved: '{email} enregistré.',
  mailboxes: 'Boîtes aux lettres',
  mailboxesIntro: 'Ce que la configuration connecte (modifiez config.json ou les variables GUICHET_*, puis redémarrez). Les mots de passe ne sont jamais affichés.',
  supportAddress: 'Adresse du support',
  imap: 'Boîte IMAP',
  noImap: 'Aucune boîte IMAP n’est lue (le courrier arrive par le récepteur SMTP ou `guichet ingest`).',
  url: 'URL',
  idleConfigured: 'IDLE',
  pollCron: 'Relève programmée',
  markAs: 'Courrier traité',
  connected: 'Connectée',
  idleNow: 'En attente (IDLE)',
  lastPoll: 'Dernière relève',
  lastError: 'Dernière erreur',
  notRunning: 'non lancée dans ce processus',
  never: 'jamais',
  lastUids: 'Dernier UID traité',
  mailbox: 'Boîte',
  uidValidity: 'UIDVALIDITY',
  lastUid: 'Dernier UID',
  noUids: 'Aucun message lu d’une boîte IMAP pour l’instant.',
  smtpIntake: 'Récepteur SMTP',
  noSmtpIntake: 'Aucun récepteur SMTP.',
  listen: 'Écoute sur',
  auth: 'Authentification',
  allowedClients: 'Clients autorisés',
  anyClient: 'tous',
  outbox: 'Courrier sortant',
  relay: 'Relais SMTP',
  capture: 'Écrit dans des fichiers sous',
  stalledSince: 'En échec depuis',
  working: 'fonctionne',
  unknown: 'inconnu',
};

const STRINGS: Record<Lang, SetupStrings> = { en, fr };
export const setupStrings = (c: Context<AdminEnv>): SetupStrings => STRINGS[c.get('lang')];

export type SetupTab = keyof SetupStrings['tabs'];

/** Every setup page and form is the admins': an agent is refused before anything is read or changed. */
export const adminsOnly = (): MiddlewareHandler<AdminEnv> => async (c, next) => {
  if (c.get('session').staff.role !== 'admin') return c.html(setupPage(c, 'projects', setupStrings(c).setup, flash('error', setupStrings(c).adminsOnly)), 403);
  await next();
};

export function setupPage(c: Context<AdminEnv>, tab: SetupTab, title: string, body: Markup): Markup {
  const s = setupStrings(c);
  const tabs = (Object.keys(s.tabs) as SetupTab[]).map(
    (k) => html`<a href="/admin/setup/${k}"${k === tab ? html` aria-current="page"` : ''}>${s.tabs[k]}</a>`,
  );
  return page(
    { t: c.get('t'), lang: c.get('lang'), title, session: c.get('session'), current: 'setup' },
    html`<nav class="setup-tabs" aria-label="${s.setup}">${tabs}</nav>${body}`,
  );
}

/** A textarea's lines (and, for addresses and domains, comma- or space-separated values), trimmed, blanks dropped. */
export const lines = (separators: RegExp) =>
  z.string().max(20_000).default('').transform((v) => v.split(separators).map((x) => x.trim()).filter(Boolean)).pipe(z.array(z.string().max(320)).max(200));

/** Checkboxes of one name: absent, one value or several. */
export const checked = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().max(320)).max(500));

export const LINES = /\r?\n/;
export const LINES_OR_COMMAS = /[\r\n,;\s]+/;

/** What a refused form says: the first problem zod found, by field. */
export const zodReason = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`)[0] ?? 'invalid form';

export const idParam = (c: Context<AdminEnv>): number | null => {
  const n = Number(c.req.param('id'));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};
