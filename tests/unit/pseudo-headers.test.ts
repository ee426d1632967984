import { describe, expect, it } from 'vitest';
import { extractPseudoHeaders, type PseudoHeaderFields } from '../../src/mail/pseudo-headers.ts';

describe('keys, English and French, any case and accents', () => {
  const cases: Array<[string, PseudoHeaderFields]> = [
    ['Type: bug', { type: 'correction' }],
    ['TYPE: Evolution', { type: 'evolution' }],
    ['Priority: major', { priority: 'major' }],
    ['Priorité : bloquant', { priority: 'blocking' }],
    ['priorite: critique', { priority: 'critical' }],
    ['PRIORITÉ:mineure', { priority: 'minor' }],
    ['Project: SHOP', { project: 'SHOP' }],
    ['Projet : Boutique en ligne', { project: 'Boutique en ligne' }],
    ['Products: Web, API', { products: ['Web', 'API'] }],
    ['Produits : Site ; Appli mobile ;', { products: ['Site', 'Appli mobile'] }],
    ['Produit: Back-office', { products: ['Back-office'] }],
    ['Visibility: private', { visibility: 'private' }],
    ['Visibilité : privé', { visibility: 'private' }],
    ['visibilite\u00a0: Privée', { visibility: 'private' }],
    ['Visibilité\u202f: publique', { visibility: 'public' }],
    ['  Type\t:   Question  ', { type: 'assistance' }],
  ];
  it.each(cases)('%j', (line, fields) => {
    const r = extractPseudoHeaders(`${line}\n\nThe description.`);
    expect(r).toEqual({ fields, unknown: [], body: 'The description.' });
  });
});

describe('values and their synonyms', () => {
  const cases: Array<[string, string, PseudoHeaderFields]> = [
    ['Type', 'correction', { type: 'correction' }],
    ['Type', 'Anomalie', { type: 'correction' }],
    ['Type', 'BUG.', { type: 'correction' }],
    ['Type', 'évolution', { type: 'evolution' }],
    ['Type', 'Feature', { type: 'evolution' }],
    ['Type', 'Nouvelle   fonctionnalité', { type: 'evolution' }],
    ['Type', 'assistance', { type: 'assistance' }],
    ['Type', 'Assistance technique', { type: 'assistance' }],
    ['Type', 'question', { type: 'assistance' }],
    ['Priority', 'minor', { priority: 'minor' }],
    ['Priority', 'Mineur', { priority: 'minor' }],
    ['Priority', 'low', { priority: 'minor' }],
    ['Priority', 'Majeure', { priority: 'major' }],
    ['Priority', 'high', { priority: 'major' }],
    ['Priority', 'blocking', { priority: 'blocking' }],
    ['Priority', 'Bloquante', { priority: 'blocking' }],
    ['Priority', 'CRITICAL', { priority: 'critical' }],
    ['Visibility', 'Public', { visibility: 'public' }],
    ['Visibility', 'privee', { visibility: 'private' }],
  ];
  it.each(cases)('%s: %s', (key, value, fields) => {
    expect(extractPseudoHeaders(`${key}: ${value}\nBody`).fields).toEqual(fields);
  });
});

describe('maintenance is for staff', () => {
  it.each(['maintenance', 'Tâche de maintenance'])('a client giving %j is reported unknown', (value) => {
    expect(extractPseudoHeaders(`Type: ${value}\nx`)).toEqual({
      fields: {}, unknown: [{ field: 'type', given: value }], body: 'x',
    });
  });
  it('is accepted when allowed', () => {
    expect(extractPseudoHeaders('Type: Tâche de maintenance\nx', { allowMaintenance: true }).fields).toEqual({ type: 'maintenance' });
  });
});

describe('unknown values', () => {
  it('reports each one as given, sets nothing for it, and still removes the line', () => {
    const r = extractPseudoHeaders('Type: whatever\nPriorité : Urgentissime \nVisibility: secret\nProject: SHOP\n\nHello');
    expect(r).toEqual({
      fields: { project: 'SHOP' },
      unknown: [
        { field: 'type', given: 'whatever' },
        { field: 'priority', given: 'Urgentissime' },
        { field: 'visibility', given: 'secret' },
      ],
      body: 'Hello',
    });
  });

  it('a later valid repeat replaces an unknown value, and a later unknown one the valid value', () => {
    expect(extractPseudoHeaders('Type: whatever\nType: bug\nPriority: major\nPriority: ???\nx')).toEqual({
      fields: { type: 'correction' }, unknown: [{ field: 'priority', given: '???' }], body: 'x',
    });
  });

  it('ignores an empty value without reporting it', () => {
    expect(extractPseudoHeaders('Type:\nProducts: , ;\nPriority: major\nx')).toEqual({
      fields: { priority: 'major' }, unknown: [], body: 'x',
    });
  });
});

describe('only the first lines', () => {
  it('takes every header of the block, in any order, and keeps the rest of the body as written', () => {
    const body = '\r\n\r\nVisibilité : privée\r\nProduits: Web; Web ;API\r\nType: Bug\r\nPriority: Major\r\nProjet: SHOP\r\n'
      + 'Le panier se vide.\r\n\r\nType: whatever\r\nCordialement';
    expect(extractPseudoHeaders(body)).toEqual({
      fields: { visibility: 'private', products: ['Web', 'API'], type: 'correction', priority: 'major', project: 'SHOP' },
      unknown: [],
      body: 'Le panier se vide.\r\n\r\nType: whatever\r\nCordialement',
    });
  });

  it.each([
    ['after a paragraph', 'Hello,\n\nType: bug\nPriority: critical\nThanks'],
    ['after a line that is not a pseudo-header', 'Subject: printer\nType: bug\nbody'],
    ['after a blank line ends the block', 'Priority: major\n\nType: bug\nbody'],
    ['indented inside prose', 'The error says\n  Type: bug'],
  ])('leaves similar lines %s', (_name, body) => {
    const r = extractPseudoHeaders(body);
    expect(r.fields.type).toBeUndefined();
    expect(r.body).toContain('Type: bug');
  });

  it('stops at the first line that is not a pseudo-header even without a blank line', () => {
    expect(extractPseudoHeaders('Type: bug\nNote: the Priority: line below is prose\nPriority: major')).toEqual({
      fields: { type: 'correction' }, unknown: [], body: 'Note: the Priority: line below is prose\nPriority: major',
    });
  });

  it('returns the whole body, trimmed, when there are no pseudo-headers', () => {
    expect(extractPseudoHeaders('\n\n  Bonjour,\nle site est lent.\n\n')).toEqual({
      fields: {}, unknown: [], body: 'Bonjour,\nle site est lent.',
    });
  });

  it('handles a body made only of pseudo-headers, and an empty body', () => {
    expect(extractPseudoHeaders('Type: bug\nPriority: major')).toEqual({
      fields: { type: 'correction', priority: 'major' }, unknown: [], body: '',
    });
    expect(extractPseudoHeaders('')).toEqual({ fields: {}, unknown: [], body: '' });
  });

  it('does not take a key that is only similar', () => {
    expect(extractPseudoHeaders('Typ: bug\nPriorities: major\nx').fields).toEqual({});
  });
});
