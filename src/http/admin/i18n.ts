// Every word the staff admin shows, in English and French. Pages only arrange these strings; the
// French catalogue must hold exactly the same keys (the compiler checks it). The vocabulary of
// tickets (statuses, priorities…) is translated here for staff, in staff's words.
import type { Priority, Resolution, Status, TicketType, Visibility } from '../../db/schema.ts';

export type Lang = 'en' | 'fr';

const en = {
  product: 'Guichet',
  signIn: 'Sign in',
  signOut: 'Sign out',
  apiTokens: 'API tokens',
  email: 'Email',
  password: 'Password',
  loginFailed: 'Wrong email or password.',
  loginThrottled: 'Too many failed attempts for this address. Try again in {minutes} minute(s).',
  formExpired: 'This form has expired. Please try again.',
  skipToContent: 'Skip to content',
  queues: 'Queues',
  dashboard: 'Dashboard',
  setup: 'Setup',
  queue: {
    mine: 'Mine',
    unassigned: 'Unassigned',
    'awaiting-staff': 'Awaiting staff',
    'awaiting-client': 'Awaiting client',
    open: 'Open',
    all: 'All tickets',
  },
  pendingAccounts: 'Pending accounts',
  quarantine: 'Quarantine',
  outbox: 'Outbox',
  tickets: 'Tickets',
  noTickets: 'No tickets here.',
  next: 'Next page',
  col: {
    number: '#',
    summary: 'Summary',
    reporter: 'Reporter',
    type: 'Type',
    priority: 'Priority',
    status: 'Status',
    resolution: 'Resolution',
    assignee: 'Assignee',
    activity: 'Last activity',
    organisation: 'Organisation',
    project: 'Project',
    visibility: 'Visibility',
    products: 'Products',
  },
  feedbackAwaited: 'feedback awaited',
  clientAnswered: 'client answered',
  nobody: 'nobody',
  ticket: 'Ticket',
  thread: 'Thread',
  internalNote: 'Internal note',
  showFull: 'Show the full message',
  showHtml: 'Show the message as sent (HTML)',
  loadImages: 'Load the remote images of this message (their sender will see that it was read)',
  mergedFrom: 'merged',
  duplicateOf: 'Duplicate of #',
  otherTickets: 'Other tickets of this client',
  savedReplies: 'Saved replies',
  savedReply: 'Saved reply',
  insert: 'Insert',
  unverified: 'Unverified sender',
  composer: 'Answer',
  replyPublic: 'Send reply to the client',
  addNote: 'Add internal note',
  message: 'Message',
  save: 'Save changes',
  fields: 'Fields',
  changed: 'Saved.',
  notFound: 'Not found.',
  staleTicket: 'This ticket changed since you opened it ({what}). Nothing was saved: review the changes and try again.',
  status: {
    new: 'New', feedback: 'Feedback awaited', confirmed: 'Confirmed', assigned: 'Assigned', resolved: 'Resolved', closed: 'Closed',
  } satisfies Record<Status, string>,
  priority: { minor: 'Minor', major: 'Major', blocking: 'Blocking', critical: 'Critical' } satisfies Record<Priority, string>,
  type: { correction: 'Correction', evolution: 'Change request', assistance: 'Assistance', maintenance: 'Maintenance' } satisfies Record<TicketType, string>,
  visibility: { public: 'Public (watchers hear of it)', private: 'Private (the reporter alone)' } satisfies Record<Visibility, string>,
  resolution: {
    open: 'Open', fixed: 'Fixed', reopened: 'Reopened', unable_to_reproduce: 'Unable to reproduce', unable_to_fix: 'Unable to fix',
    duplicate: 'Duplicate', not_a_bug: 'Not a bug', suspended: 'Suspended', wont_fix: "Won't fix",
  } satisfies Record<Resolution, string>,
};

export type Strings = typeof en;

const fr: Strings = {
  product: 'Guichet',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  apiTokens: 'Jetons d’API',
  email: 'E-mail',
  password: 'Mot de passe',
  loginFailed: 'E-mail ou mot de passe incorrect.',
  loginThrottled: 'Trop de tentatives échouées pour cette adresse. Réessayez dans {minutes} minute(s).',
  formExpired: 'Ce formulaire a expiré. Veuillez réessayer.',
  skipToContent: 'Aller au contenu',
  queues: 'Files',
  dashboard: 'Tableau de bord',
  setup: 'Configuration',
  queue: {
    mine: 'Les miens',
    unassigned: 'Non affectés',
    'awaiting-staff': 'À traiter',
    'awaiting-client': 'En attente du client',
    open: 'Ouverts',
    all: 'Tous les tickets',
  },
  pendingAccounts: 'Comptes à valider',
  quarantine: 'Quarantaine',
  outbox: 'Envois',
  tickets: 'Tickets',
  noTickets: 'Aucun ticket ici.',
  next: 'Page suivante',
  col: {
    number: 'N°',
    summary: 'Résumé',
    reporter: 'Demandeur',
    type: 'Type',
    priority: 'Priorité',
    status: 'État',
    resolution: 'Résolution',
    assignee: 'Affecté à',
    activity: 'Dernière activité',
    organisation: 'Organisation',
    project: 'Projet',
    visibility: 'Visibilité',
    products: 'Produits',
  },
  feedbackAwaited: 'retour attendu',
  clientAnswered: 'le client a répondu',
  nobody: 'personne',
  showHtml: 'Afficher le message tel qu’envoyé (HTML)',
  loadImages: 'Charger les images distantes de ce message (leur expéditeur verra qu’il a été lu)',
  mergedFrom: 'fusionné',
  duplicateOf: 'Doublon du n°',
  otherTickets: 'Autres tickets de ce client',
  savedReplies: 'Réponses enregistrées',
  savedReply: 'Réponse enregistrée',
  insert: 'Insérer',
  ticket: 'Ticket',
  thread: 'Fil',
  internalNote: 'Note interne',
  showFull: 'Afficher le message complet',
  unverified: 'Expéditeur non vérifié',
  composer: 'Répondre',
  replyPublic: 'Envoyer la réponse au client',
  addNote: 'Ajouter une note interne',
  message: 'Message',
  save: 'Enregistrer',
  fields: 'Champs',
  changed: 'Enregistré.',
  notFound: 'Introuvable.',
  staleTicket: 'Ce ticket a changé depuis que vous l’avez ouvert ({what}). Rien n’a été enregistré\u00a0: relisez les changements et recommencez.',
  status: {
    new: 'Nouveau', feedback: 'Retour d’informations', confirmed: 'Confirmé', assigned: 'Affecté', resolved: 'Traité', closed: 'Fermé',
  },
  priority: { minor: 'Mineur', major: 'Majeur', blocking: 'Bloquant', critical: 'Critique' },
  type: { correction: 'Correction', evolution: 'Évolution', assistance: 'Assistance technique', maintenance: 'Tâche de maintenance' },
  visibility: { public: 'Public (les observateurs sont informés)', private: 'Privé (le demandeur seul)' },
  resolution: {
    open: 'Ouvert', fixed: 'Corrigé', reopened: 'Réouvert', unable_to_reproduce: 'Impossible à reproduire', unable_to_fix: 'Impossible à corriger',
    duplicate: 'Doublon', not_a_bug: 'Pas une anomalie', suspended: 'Suspendu', wont_fix: 'Ne sera pas corrigé',
  },
};

export const STRINGS: Record<Lang, Strings> = { en, fr };

/** The staff member's language: French when their browser prefers it to English, else the installation's. */
export function languageOf(acceptLanguage: string | undefined, fallback: Lang): Lang {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      return { lang: tag!.slice(0, 2), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((x) => x.lang === 'en' || x.lang === 'fr')
    .sort((a, b) => b.q - a.q);
  return (ranked[0]?.lang as Lang | undefined) ?? fallback;
}

/** `{name}` placeholders filled in; the result is still text, escaped by the page. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
