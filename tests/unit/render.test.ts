// Every notification, in every language, rendered from the real templates: nothing left unfilled,
// every value escaped, the reply marker first, the mailto links intact.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CATALOGUES, createRenderer, TEMPLATE_NAMES,
  type Lang, type Renderer, type TemplateName, type TemplateVars,
} from '../../src/notify/render.ts';
import { extractReply } from '../../src/mail/reply-text.ts';
import { mailtoUrl } from '../../src/protocol/mailto.ts';
import { REPLY_MARKER } from '../../src/protocol/markers.ts';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
const LANGS: Lang[] = ['en', 'fr'];
const SUPPORT = 'support@acme.test';
/** Staff's invitation and reset mail link to the admin, the only links that are not mailto. */
const ADMIN = 'https://help.acme.test';

const ticket = {
  number: 4217,
  summary: 'Checkout <script>alert("x")</script> fails & "pay" button is grey',
  status: 'assigned',
  priority: 'blocking',
  project: 'Boutique',
  contactName: 'Élodie Martin',
} as const;
const message = 'Could you send a screenshot of the error?\nAnd the browser version.\n\nThanks <b>a lot</b>.';
const confirmMailto = mailtoUrl(SUPPORT, { subject: '[#4217] confirmed / confirmé', body: 'It works. Ça marche & merci!' });
const reopenMailto = mailtoUrl(SUPPORT, { subject: '[#4217] still broken / toujours en panne' });

const VARS: { [T in TemplateName]: TemplateVars[T] } = {
  'ticket-received': {
    ...ticket, status: 'new', unknownTag: 99,
    fallbacks: [{ field: 'priority', given: 'urgent!!', used: 'minor' }, { field: 'project', given: 'Zz', used: 'Boutique' }],
  },
  'feedback-requested': { ...ticket, status: 'feedback', message, authorName: 'Paul (support)' },
  'ticket-confirmed': { ...ticket, status: 'confirmed' },
  'ticket-assigned': { ...ticket, assigneeName: 'Paul Durand', message: 'Looking at it today.' },
  'ticket-resolved': {
    ...ticket, status: 'resolved', resolution: 'fixed', confirmMailto, reopenMailto, autoCloseDays: 14,
    message: 'Fixed in release 2.4.1.',
  },
  'ticket-closed': { ...ticket, status: 'closed', resolution: 'wont_fix', message: 'Out of scope.' },
  'ticket-reopened': { ...ticket, message: 'The bug is back in 2.4.2.' },
  'ticket-duplicate': { ...ticket, status: 'closed', duplicateOf: 4100, duplicateOfSummary: 'Payment <fails>' },
  'priority-changed': { ...ticket, priority: 'critical', previousPriority: 'minor', message: 'Production is down.' },
  'type-changed': { ...ticket, type: 'evolution', previousType: 'correction' },
  'staff-reply': { ...ticket, authorName: 'Paul Durand', message },
  'auto-closed': { ...ticket, status: 'closed', resolution: 'fixed', days: 14 },
  'account-pending': { email: 'new.person@unknown.test', originalSubject: 'Help <please>', contactName: 'Jo' },
  'account-refused': { email: 'spam@unknown.test', originalSubject: 'Offer', message: 'Not a customer.' },
  'project-question': {
    originalSubject: 'Site down',
    projects: [
      { name: 'Boutique & Co', mailto: mailtoUrl(SUPPORT, { subject: 'Project: SHOP', body: 'Re: Site down' }) },
      { name: 'Intranet "RH"', mailto: mailtoUrl('support+intranet@acme.test', { subject: 'Projet : RH' }) },
    ],
  },
  'maintenance-announcement': {
    ...ticket, status: 'new', startsAt: new Date('2025-03-04T21:00:00Z'), endsAt: new Date('2025-03-04T23:30:00Z'),
    message: 'Security update of the web servers.\nThe shop will be unavailable.', organisation: 'Acme <SARL>',
  },
  'staff-alert': {
    ...ticket, newTicket: true, authorName: 'Élodie Martin', authorEmail: 'elodie@client.test', message,
    organisation: 'Client & Fils',
  },
  'staff-mail-refused': {
    ...ticket,
    reason: '"Status: solved": no status "solved"',
  },
  'staff-invite': {
    email: 'new.agent@acme.test', contactName: 'Zoé <new>', adminLink: `${ADMIN}/admin/welcome?token=${'a'.repeat(43)}`,
    expiresAt: new Date('2025-03-11T09:00:00Z'), invitedBy: 'Paul "boss" Durand',
  },
  'password-reset': {
    email: 'agent@acme.test', contactName: 'Jo', adminLink: `${ADMIN}/admin/reset?token=${'b'.repeat(43)}`,
    expiresAt: new Date('2025-03-04T10:00:00Z'),
  },
  'relay-outage': {
    since: new Date('2025-03-04T21:00:00Z'), until: new Date('2025-03-05T01:30:00Z'),
    lastError: '535 5.7.8 <Authentication> credentials invalid', queued: 12,
  },
};

let renderer: Renderer;
beforeAll(async () => {
  renderer = await createRenderer({ templatesDir: TEMPLATES_DIR, productName: 'Acme <Support>', timeZone: 'Europe/Paris' });
});

const render = <T extends TemplateName>(t: T, lang: Lang) => renderer.render(t, lang, VARS[t]);
const hrefs = (html: string) =>
  [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
/** Visible text of the HTML, roughly: enough to check what comes first. */
const visible = (html: string) =>
  html.replace(/<head[\s\S]*?<\/head>/, '').replace(/<div style="display:none[^>]*>[^<]*<\/div>/, '')
    .replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();

describe.each(TEMPLATE_NAMES.flatMap((t) => LANGS.map((lang) => [t, lang] as const)))('%s (%s)', (template, lang) => {
  it('fills every placeholder, escapes every value and puts the reply marker first', () => {
    const { subject, html, text } = render(template, lang);
    for (const part of [subject, html, text]) expect(part).not.toMatch(/\{\{|\}\}/);
    expect(subject).not.toMatch(/\[#|\n/);
    expect(subject.length).toBeGreaterThan(10);
    expect(html).not.toMatch(/<script|<b>|<fails>|<please>|<SARL>|<Support>/);
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(`lang="${lang}"`);
    expect(html).toContain('Acme &lt;Support&gt;');
    expect(visible(html).startsWith(REPLY_MARKER)).toBe(true);
    expect(text.startsWith(`${REPLY_MARKER}\n`)).toBe(true);
    expect(text).not.toMatch(/<(p|div|br|table)\b/);
    expect(text).not.toMatch(/\n{3,}/);
    for (const href of hrefs(html)) expect(href).toMatch('adminLink' in VARS[template] ? /^https:\/\/help\.acme\.test\/admin\/(welcome|reset)\?token=\w{43}$/ : /^mailto:/);
  });

  it('carries the ticket summary box in both parts', () => {
    const { html, text } = render(template, lang);
    if (!('number' in VARS[template])) return;
    expect(html).toContain('Checkout &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; fails &amp; &quot;pay&quot;');
    expect(text).toContain(ticket.summary);
    expect(html).toContain('#4217');
    expect(text).toContain('#4217');
    const cat = CATALOGUES[lang];
    const vars = VARS[template] as { status: keyof typeof cat.status; priority: keyof typeof cat.priority };
    for (const label of [cat.status[vars.status], cat.priority[vars.priority]]) {
      expect(html).toContain(label);
      expect(text).toContain(label);
    }
  });

  it('speaks the language of the recipient', () => {
    const { html, text } = render(template, lang);
    // Every footer says why the mail came, in the recipient's language.
    const why = { en: /You receive this/, fr: /Vous recevez|vous envoie/ };
    const other = lang === 'en' ? 'fr' : 'en';
    expect(text).toMatch(why[lang]);
    expect(html).toMatch(why[lang]);
    expect(text).not.toMatch(why[other]);
  });
});

describe('content', () => {
  it('uses the marker the reply extractor cuts at: an answer on top of a notice is only the answer', () => {
    const notice = render('feedback-requested', 'en').text;
    expect(extractReply(`Firefox 128 on Windows.\n\n${notice}`)).toBe('Firefox 128 on Windows.');
  });

  it('writes French strings for fr', () => {
    expect(render('ticket-received', 'fr').text).toContain('Nous avons bien reçu votre demande');
    expect(render('ticket-resolved', 'fr').html).toContain('Non, le problème persiste');
    expect(render('ticket-resolved', 'fr').text).toContain('Statut\u00a0: Traité');
    expect(render('priority-changed', 'fr').text).toContain('mineur → critique');
    expect(render('ticket-closed', 'fr').text).toContain('Ne sera pas corrigé');
    expect(render('type-changed', 'fr').text).toContain('Correction → Évolution');
    expect(render('ticket-received', 'fr').text).toContain('«\u00a0urgent!!\u00a0» non reconnu, «\u00a0mineur\u00a0»');
    // Dates in the recipient's language and the configured zone (the zone's name varies with ICU).
    expect(render('maintenance-announcement', 'fr').text).toMatch(/Du mardi 4 mars 2025 à 22:00 \S+ au mercredi 5 mars 2025 à 00:30/);
    expect(render('maintenance-announcement', 'en').text).toMatch(/From Tuesday, March 4, 2025 at 10:00\sPM \S+ to Wednesday/);
  });

  it('offers the confirm and still-broken links of ticket-resolved, correctly encoded', () => {
    for (const lang of LANGS) {
      const { html, text } = render('ticket-resolved', lang);
      expect(hrefs(html)).toEqual(expect.arrayContaining([confirmMailto, reopenMailto]));
      expect(html).toContain(confirmMailto.replaceAll('&', '&amp;'));
      expect(text).toContain(confirmMailto);
      expect(text).toContain(reopenMailto);
    }
    expect(confirmMailto).toBe(
      'mailto:support@acme.test?subject=%5B%234217%5D%20confirmed%20%2F%20confirm%C3%A9' +
        '&body=It%20works.%20%C3%87a%20marche%20%26%20merci!',
    );
    const url = new URL(confirmMailto);
    expect(url.searchParams.get('subject')).toBe('[#4217] confirmed / confirmé');
    expect(url.searchParams.get('body')).toBe('It works. Ça marche & merci!');
  });

  it('offers one mailto link per project in project-question', () => {
    const { projects } = VARS['project-question'];
    for (const lang of LANGS) {
      const { html, text } = render('project-question', lang);
      expect(hrefs(html)).toEqual(projects.map((p) => p.mailto));
      expect(html).toContain('Boutique &amp; Co');
      expect(html).toContain('Intranet &quot;RH&quot;');
      for (const p of projects) expect(text).toContain(`* ${p.name}\n  ${p.mailto}`);
    }
    expect(projects[1]!.mailto).toBe('mailto:support+intranet@acme.test?subject=Projet%20%3A%20RH');
  });

  it('keeps the paragraphs of a message block, escaped', () => {
    const { html, text } = render('staff-reply', 'en');
    expect(html).toContain('Could you send a screenshot of the error?<br>And the browser version.</p>');
    expect(html).toContain('<p style="margin:0 0 0px;">Thanks &lt;b&gt;a lot&lt;/b&gt;.</p>');
    expect(text).toContain(message);
  });

  it('leaves optional parts out when their variable is absent', () => {
    const bare = renderer.render('ticket-received', 'en', { ...ticket, status: 'new', fallbacks: [] });
    expect(bare.text).not.toMatch(/could not find|not recognised/);
    expect(bare.text).toContain('Hello Élodie Martin,');
    const anonymous = renderer.render('ticket-assigned', 'fr', { ...ticket, contactName: undefined });
    expect(anonymous.text).toContain('Bonjour,');
    expect(anonymous.text).toContain('un membre de notre équipe');
  });
});

describe('safety', () => {
  it('throws rather than ship an unfilled placeholder', () => {
    const vars = { ...VARS['staff-reply'], authorName: undefined } as unknown as TemplateVars['staff-reply'];
    expect(() => renderer.render('staff-reply', 'en', vars)).toThrow(/staff-reply \(en\): no value for \{\{authorName\}\}/);
  });

  it('refuses a link that is not a mailto', () => {
    const vars = { ...VARS['ticket-resolved'], confirmMailto: 'javascript:alert(1)' };
    expect(() => renderer.render('ticket-resolved', 'en', vars)).toThrow(/confirmMailto must be a mailto/);
    const projects = [{ name: 'x', mailto: 'https://evil.test' }];
    expect(() => renderer.render('project-question', 'en', { originalSubject: 's', projects })).toThrow(/mailto/);
  });

  it('refuses a staff link that is not an http(s) URL to the admin', () => {
    const vars = { ...VARS['password-reset'], adminLink: 'javascript:alert(1)' };
    expect(() => renderer.render('password-reset', 'en', vars)).toThrow(/adminLink must be an http\(s\) URL/);
  });

  it('refuses an unknown stored value instead of showing a code', () => {
    const vars = { ...VARS['ticket-confirmed'], status: 'bogus' } as unknown as TemplateVars['ticket-confirmed'];
    expect(() => renderer.render('ticket-confirmed', 'en', vars)).toThrow(/status: unknown value "bogus"/);
  });
});

describe('templates folder', () => {
  async function withBrokenCopy(edit: (dir: string) => Promise<void>): Promise<unknown> {
    const dir = await mkdtemp(path.join(tmpdir(), 'guichet-templates-'));
    try {
      await cp(TEMPLATES_DIR, dir, { recursive: true });
      await edit(dir);
      return await createRenderer({ templatesDir: dir, productName: 'x' }).then(() => null, (err: unknown) => err);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('fails at start naming the file and the MJML error', async () => {
    const err = await withBrokenCopy((dir) =>
      writeFile(path.join(dir, 'auto-closed.mjml'), '<mjml><mj-body><mj-section><mj-text bogus="1">x</mj-text></mj-section></mj-body></mjml>'));
    expect(String(err)).toContain('auto-closed.mjml does not compile: line 1 <mj-text>: mj-text cannot be used inside mj-section');
    expect(String(err)).toContain('line 1 <mj-text>: Attribute bogus is illegal');
  });

  it('fails at start on raw output of a variable, a misspelt string or a missing template', async () => {
    const raw = await withBrokenCopy((dir) =>
      writeFile(path.join(dir, 'auto-closed.txt'), '{{{summary}}}\n'));
    expect(String(raw)).toMatch(/auto-closed\.txt: \{\{\{summary\}\}\} is not allowed/);
    const typo = await withBrokenCopy((dir) => writeFile(path.join(dir, 'auto-closed.txt'), '{{t.headng}}\n'));
    expect(String(typo)).toMatch(/auto-closed: \{\{t\.headng\}\} names no string of the en catalogue/);
    const missing = await withBrokenCopy((dir) => rm(path.join(dir, 'staff-alert.mjml')));
    expect(String(missing)).toMatch(/missing staff-alert\.mjml/);
  });
});

describe('catalogues', () => {
  const keys = (o: object, prefix = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));

  it('fr has every key en has, and no other', () => {
    expect(keys(CATALOGUES.fr).sort()).toEqual(keys(CATALOGUES.en).sort());
  });

  it('uses the labels clients know from the support guide', () => {
    expect(Object.values(CATALOGUES.fr.status)).toEqual(
      ['Nouveau', 'Retour d’informations', 'Confirmé', 'Affecté', 'Traité', 'Fermé']);
    expect(Object.values(CATALOGUES.fr.priority)).toEqual(['mineur', 'majeur', 'bloquant', 'critique']);
    expect(Object.values(CATALOGUES.fr.type)).toEqual(
      ['Correction', 'Évolution', 'Assistance technique', 'Tâche de maintenance']);
    expect(Object.values(CATALOGUES.fr.resolution)).toEqual([
      'Ouvert', 'Corrigé', 'Réouvert', 'Impossible à reproduire', 'Impossible à corriger', 'Doublon',
      'Pas une anomalie', 'Suspendu', 'Ne sera pas corrigé',
    ]);
  });

  it('has a string for every template', () => {
    for (const lang of LANGS) expect(Object.keys(CATALOGUES[lang].templates).sort()).toEqual([...TEMPLATE_NAMES].sort());
  });
});
