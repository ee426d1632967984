// Every word a notification shows in French, key for key the English catalogue (the compiler refuses
// a missing or an extra key). Labels of the ticket values are those clients already know from the
// support guide. French typography: a no-break space (\u00a0) before a colon and inside « ».
import type { Catalogue } from './en.ts';

export const fr = {
  common: {
    greeting: 'Bonjour{{#contactName}} {{contactName}}{{/contactName}},',
    signoff: 'L’équipe {{productName}}',
    fieldTicket: 'Ticket',
    summaryTitle: 'Ticket #{{number}}\u00a0: {{summary}}',
    fieldSummary: 'Résumé',
    fieldStatus: 'Statut',
    fieldPriority: 'Priorité',
    fieldProject: 'Projet',
    summaryLine:
      'Statut\u00a0: {{statusLabel}} · Priorité\u00a0: {{priorityLabel}}{{#project}} · Projet\u00a0: {{project}}{{/project}}',
    messageFrom:
      '{{#authorName}}Message de {{authorName}}\u00a0:{{/authorName}}{{^authorName}}Message de notre équipe\u00a0:{{/authorName}}',
    why: '{{productName}} vous envoie ce message car vous avez signalé ou suivez le ticket #{{number}}.',
    how: 'Pour nous répondre, écrivez au-dessus de la ligne en haut de ce message, en gardant le numéro du ticket dans l’objet.',
  },
  status: {
    new: 'Nouveau',
    feedback: 'Retour d’informations',
    confirmed: 'Confirmé',
    assigned: 'Affecté',
    resolved: 'Traité',
    closed: 'Fermé',
  },
  priority: { minor: 'mineur', major: 'majeur', blocking: 'bloquant', critical: 'critique' },
  type: {
    correction: 'Correction',
    evolution: 'Évolution',
    assistance: 'Assistance technique',
    maintenance: 'Tâche de maintenance',
  },
  resolution: {
    open: 'Ouvert',
    fixed: 'Corrigé',
    reopened: 'Réouvert',
    unable_to_reproduce: 'Impossible à reproduire',
    unable_to_fix: 'Impossible à corriger',
    duplicate: 'Doublon',
    not_a_bug: 'Pas une anomalie',
    suspended: 'Suspendu',
    wont_fix: 'Ne sera pas corrigé',
  },
  field: { type: 'Type', priority: 'Priorité', project: 'Projet', products: 'Produits', visibility: 'Visibilité' },
  visibility: { public: 'public', private: 'privé' },
  templates: {
    'ticket-received': {
      subject: 'Nous avons bien reçu votre demande\u00a0: {{summary}}',
      preview: 'Votre demande est enregistrée sous le ticket #{{number}}.',
      heading: 'Nous avons bien reçu votre demande',
      intro:
        'Merci de nous avoir écrit. Votre demande est enregistrée sous le ticket #{{number}}. Notre équipe va l’étudier rapidement et vous tiendra informé par e-mail à chaque étape.',
      unknownTag:
        'L’objet de votre message mentionnait le ticket #{{unknownTag}}, que nous n’avons pas trouvé\u00a0: nous avons donc ouvert un nouveau ticket pour ce message.',
      fallbacksIntro: 'Certaines valeurs de votre message n’ont pas été reconnues\u00a0; nous avons utilisé les valeurs par défaut\u00a0:',
      fallbackItem: '{{fieldLabel}}\u00a0: «\u00a0{{given}}\u00a0» non reconnu, «\u00a0{{usedLabel}}\u00a0» utilisé à la place.',
      fallbacksAfter: 'Notre équipe pourra ajuster ces valeurs\u00a0; vous serez prévenu de tout changement.',
    },
    'feedback-requested': {
      subject: 'Informations nécessaires\u00a0: {{summary}}',
      preview: 'Notre équipe a besoin d’informations pour avancer sur le ticket #{{number}}.',
      heading: 'Nous avons besoin de précisions',
      intro: 'Pour poursuivre le travail sur le ticket #{{number}}, notre équipe a besoin d’informations de votre part.',
      after: 'Merci de répondre à ce message. Le traitement du ticket reprendra dès réception de votre réponse.',
    },
    'ticket-confirmed': {
      subject: 'Demande confirmée\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est confirmé\u00a0; le travail peut commencer.',
      heading: 'Votre demande est confirmée',
      intro:
        'Nous avons examiné le ticket #{{number}} et l’avons confirmé. Le travail peut maintenant commencer\u00a0; nous vous préviendrons dès qu’il sera affecté.',
    },
    'ticket-assigned': {
      subject: 'Travail en cours\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est affecté et en cours de traitement.',
      heading: 'Le travail sur votre demande a commencé',
      intro:
        'Le ticket #{{number}} est désormais affecté à {{#assigneeName}}{{assigneeName}}{{/assigneeName}}{{^assigneeName}}un membre de notre équipe{{/assigneeName}}, qui y travaille.',
    },
    'ticket-resolved': {
      subject: 'Merci de vérifier\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est traité. Dites-nous si tout fonctionne.',
      heading: 'Votre demande a été traitée',
      intro:
        'Nous avons terminé le travail sur le ticket #{{number}} (résolution\u00a0: {{resolutionLabel}}). Merci de vérifier que tout fonctionne comme prévu et de nous le faire savoir.',
      confirm: 'Oui, c’est réglé',
      reopen: 'Non, le problème persiste',
      linksHelp:
        'Chaque bouton ouvre une réponse préparée dans votre messagerie\u00a0: il suffit de l’envoyer. Vous pouvez aussi répondre à ce message\u00a0; votre réponse sera ajoutée au ticket pour notre équipe.',
      autoClose: 'Sans réponse de votre part sous {{autoCloseDays}} jours, le ticket sera fermé automatiquement.',
    },
    'ticket-closed': {
      subject: 'Ticket fermé\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est fermé.',
      heading: 'Votre ticket est fermé',
      intro: 'Le ticket #{{number}} est désormais fermé (résolution\u00a0: {{resolutionLabel}}). Merci pour votre aide.',
      after: 'Si le problème réapparaît, répondez simplement à ce message et nous reprendrons le sujet.',
    },
    'ticket-reopened': {
      subject: 'Ticket réouvert\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est réouvert.',
      heading: 'Votre ticket est réouvert',
      intro: 'Le ticket #{{number}} a été réouvert. Notre équipe y travaille de nouveau et vous tiendra informé.',
    },
    'ticket-duplicate': {
      subject: 'Suivi dans le ticket #{{duplicateOf}}\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est un doublon du ticket #{{duplicateOf}}.',
      heading: 'Votre demande est suivie dans un autre ticket',
      intro:
        'Le ticket #{{number}} porte sur le même sujet qu’un autre ticket\u00a0: nous l’avons donc fermé comme doublon. Merci de suivre désormais ce ticket\u00a0:',
      after: 'Les réponses à ce message seront ajoutées au ticket #{{duplicateOf}}.',
    },
    'priority-changed': {
      subject: 'Priorité passée à {{priorityLabel}}\u00a0: {{summary}}',
      preview: 'La priorité du ticket #{{number}} est désormais\u00a0: {{priorityLabel}}.',
      heading: 'La priorité de votre ticket a changé',
      intro: 'Notre équipe a changé la priorité du ticket #{{number}}\u00a0: {{previousPriorityLabel}} → {{priorityLabel}}.',
    },
    'type-changed': {
      subject: 'Type changé en {{typeLabel}}\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} est désormais traité comme\u00a0: {{typeLabel}}.',
      heading: 'Le type de votre ticket a changé',
      intro: 'Notre équipe a changé le type du ticket #{{number}}\u00a0: {{previousTypeLabel}} → {{typeLabel}}.',
    },
    'staff-reply': {
      subject: 'Nouvelle réponse\u00a0: {{summary}}',
      preview: '{{authorName}} a répondu sur le ticket #{{number}}.',
      heading: 'Nouvelle réponse sur votre ticket',
      intro: '{{authorName}} a répondu sur le ticket #{{number}}.',
    },
    'auto-closed': {
      subject: 'Ticket fermé automatiquement\u00a0: {{summary}}',
      preview: 'Le ticket #{{number}} a été fermé après {{days}} jours sans réponse.',
      heading: 'Votre ticket a été fermé automatiquement',
      intro:
        'Le ticket #{{number}} a été traité il y a {{days}} jours et nous n’avons pas eu de retour de votre part depuis\u00a0: nous l’avons donc fermé (résolution\u00a0: {{resolutionLabel}}).',
      after: 'Si le problème persiste, répondez simplement à ce message et nous reprendrons le sujet.',
    },
    'account-pending': {
      subject: 'Votre compte est en attente de validation',
      preview: 'Votre message est conservé jusqu’à la validation de votre compte.',
      heading: 'Votre compte est en attente de validation',
      intro:
        'Nous avons bien reçu votre message{{#originalSubject}} «\u00a0{{originalSubject}}\u00a0»{{/originalSubject}}, mais l’adresse {{email}} n’est pas encore connue de notre support.',
      after:
        'Votre compte est maintenant en attente de validation par notre équipe. Votre message est conservé\u00a0: dès la validation du compte, il deviendra un ticket et vous recevrez son numéro. Inutile de nous réécrire.',
      why: 'Vous recevez ce message une seule fois, car un message a été envoyé depuis {{email}} à {{productName}}.',
      how: 'Vous n’avez rien d’autre à faire pour l’instant. Si vous ne nous avez pas écrit, vous pouvez ignorer ce message.',
    },
    'account-refused': {
      subject: 'Votre demande de support n’a pas pu être acceptée',
      preview: 'Nous n’avons pas pu valider de compte support pour {{email}}.',
      heading: 'Nous n’avons pas pu accepter votre demande',
      intro:
        'Nous n’avons pas pu valider de compte support pour {{email}}\u00a0: votre message{{#originalSubject}} «\u00a0{{originalSubject}}\u00a0»{{/originalSubject}} ne sera donc pas traité.',
      after: 'Si vous pensez qu’il s’agit d’une erreur, contactez votre interlocuteur habituel dans notre équipe.',
      why: 'Vous recevez ce message car un message a été envoyé depuis {{email}} à {{productName}}.',
      how: 'Les réponses à ce message ne sont pas traitées automatiquement.',
    },
    'project-question': {
      subject: 'Quel projet votre demande concerne-t-elle\u00a0?',
      preview: 'Choisissez le projet de votre demande pour ouvrir le ticket.',
      heading: 'Quel projet votre demande concerne-t-elle\u00a0?',
      intro:
        'Nous avons bien reçu votre message «\u00a0{{originalSubject}}\u00a0». Votre organisation travaille avec nous sur plusieurs projets\u00a0: merci de nous indiquer celui qu’il concerne.',
      linksHelp:
        'Chaque lien ouvre un message préparé dans votre messagerie\u00a0: il suffit de l’envoyer, et votre demande devient un ticket sur ce projet.',
      why: 'Vous recevez ce message car vous avez écrit à {{productName}}.',
      how: 'Votre message est conservé jusqu’à ce que vous choisissiez un projet.',
    },
    'maintenance-announcement': {
      subject: 'Maintenance programmée\u00a0: {{summary}}',
      preview: 'Maintenance programmée à partir du {{startsAt}}.',
      heading: 'Maintenance programmée',
      intro: 'Nous allons réaliser une opération de maintenance sur un service que vous utilisez. Voici ce qu’il faut savoir.',
      whenLabel: 'Quand',
      when: '{{#endsAt}}Du {{startsAt}} au {{endsAt}}{{/endsAt}}{{^endsAt}}À partir du {{startsAt}}{{/endsAt}}',
      why: '{{productName}} vous envoie ce message car vous êtes contact pour ce service{{#organisation}} (organisation\u00a0: {{organisation}}){{/organisation}}.',
      how: 'Une question sur cette opération\u00a0? Répondez à ce message en écrivant au-dessus de la ligne en haut.',
    },
    'staff-alert': {
      subject: '{{#newTicket}}Nouveau ticket{{/newTicket}}{{^newTicket}}Réponse client{{/newTicket}}\u00a0: {{summary}}',
      preview: '{{authorName}} {{#newTicket}}a ouvert le ticket{{/newTicket}}{{^newTicket}}a répondu sur le ticket{{/newTicket}} #{{number}}.',
      heading: '{{#newTicket}}Nouveau ticket #{{number}}{{/newTicket}}{{^newTicket}}Réponse client sur #{{number}}{{/newTicket}}',
      intro:
        '{{authorName}} ({{authorEmail}}{{#organisation}}, {{organisation}}{{/organisation}}) {{#newTicket}}a ouvert ce ticket.{{/newTicket}}{{^newTicket}}a répondu sur ce ticket\u00a0; il attend maintenant une réponse de l’équipe.{{/newTicket}}',
      signoff: '{{productName}}',
      why: 'Vous recevez cette alerte en tant que membre de l’équipe {{productName}}.',
      how:
        'Répondez à cet e-mail pour répondre au client : seul votre nouveau texte lui est envoyé, sous votre nom. Une première ligne #note le garde interne ; des lignes comme « Statut : traité », « Priorité : majeur », « Assigner : moi » ou « Doublon : #12 » en tête modifient le ticket.',
    },
    'staff-mail-refused': {
      subject: 'Votre e-mail n’a pas été appliqué : {{summary}}',
      preview: 'Rien n’a été modifié sur le ticket #{{number}} : {{reason}}',
      heading: 'Votre e-mail au ticket #{{number}} n’a pas été appliqué',
      intro: 'Rien n’a été publié ni modifié sur le ticket, et le client n’a rien reçu. La raison :',
      after: 'Corrigez les lignes de commande en tête de votre e-mail (ou retirez-les) et renvoyez-le.',
      signoff: '{{productName}}',
      why: 'Vous recevez cette réponse parce que vous avez écrit au ticket #{{number}} en tant que membre de l’équipe {{productName}}.',
      how: 'Commandes : Statut, Résolution, Priorité, Type, Assigner (moi, personne ou une adresse), Doublon (#N) ; une première ligne #note pour une note interne.',
    },
    'staff-invite': {
      subject: 'Vous êtes invité dans l’administration du support {{productName}}',
      preview: '{{invitedBy}} vous a invité : choisissez votre mot de passe avant le {{expiresAt}}.',
      heading: 'Bienvenue dans l’équipe {{productName}}',
      intro: '{{invitedBy}} vous a invité ({{email}}) à répondre aux demandes de support dans l’administration de {{productName}}. Choisissez votre mot de passe pour vous connecter :',
      button: 'Choisir mon mot de passe',
      expires: 'Ce lien sert une fois, jusqu’au {{expiresAt}}. Ensuite, demandez-en un nouveau avec « Mot de passe oublié ? » sur la page de connexion.',
      signoff: '{{productName}}',
      why: 'Vous recevez cet e-mail parce qu’un administrateur de {{productName}} a invité {{email}} dans son équipe.',
      how: 'Si vous ne l’attendiez pas, ignorez-le : rien ne se passe sans le lien.',
    },
    'password-reset': {
      subject: 'Choisissez un nouveau mot de passe pour l’administration {{productName}}',
      preview: 'Un lien pour choisir un nouveau mot de passe, valable jusqu’au {{expiresAt}}.',
      heading: 'Choisir un nouveau mot de passe',
      intro: 'Un nouveau mot de passe a été demandé pour {{email}} dans l’administration de {{productName}}. Choisissez-le ici :',
      button: 'Choisir un nouveau mot de passe',
      expires: 'Ce lien sert une fois, jusqu’au {{expiresAt}}. Enregistrer un nouveau mot de passe ferme toutes les sessions de votre compte.',
      signoff: '{{productName}}',
      why: 'Vous recevez cet e-mail parce qu’une réinitialisation du mot de passe a été demandée pour {{email}} sur {{productName}}.',
      how: 'Si vous ne l’avez pas demandée, ignorez-le : votre mot de passe reste le même.',
    },
    'relay-outage': {
      subject: 'L’envoi des e-mails était bloqué, il a repris',
      preview: 'Le relais de messagerie a été en échec du {{since}} au {{until}} ; aucune notification n’a été perdue.',
      heading: 'L’envoi des e-mails était bloqué',
      intro:
        'Le relais de messagerie n’a pas pu être utilisé du {{since}} au {{until}}. Aucune notification n’a été perdue : elles ont attendu dans la file d’envoi, et les {{queued}} encore en attente partent maintenant.',
      errorLabel: 'Dernière erreur :',
      after: 'Si cela se reproduit, vérifiez le relais et ses identifiants (smtp.url). Tant que cela dure, /healthz indique que l’envoi est bloqué.',
      signoff: '{{productName}}',
      why: 'Vous recevez cette alerte en tant que membre de l’équipe {{productName}}.',
      how: 'Les réponses à cet e-mail ne sont pas traitées automatiquement.',
    },
  },
} satisfies Catalogue;
