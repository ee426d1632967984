// Signatures (src/mail/signature.ts) as the two entry points meet them: below a reply's new text
// (extractReply) and at the end of a first mail (withoutSignature). Every fixture is written here;
// each expectation is the exact text Guichet should keep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractReply } from '../../src/mail/reply-text.ts';
import { withoutSignature } from '../../src/mail/signature.ts';

const QUOTE = '> Bonjour, pouvez-vous nous envoyer le journal ?\n> Merci\n';

// A delimited signature, device lines and a list footer below a reply's new text.
const replySignatures: { name: string; text: string; reply: string }[] = [
  { name: 'standard "-- " signature', text: 'It crashed again.\n\n-- \nJane Doe\nACME Corp\n+33 1 23 45 67 89', reply: 'It crashed again.' },
  { name: 'Sent from my iPhone', text: 'Yes, please go ahead.\n\nSent from my iPhone', reply: 'Yes, please go ahead.' },
  { name: 'Envoyé de mon iPhone before a quote', text: 'Oui.\n\nEnvoyé de mon iPhone\n\nLe 3 févr. 2020 à 10:00, Support <support@example.com> a écrit :\n\n' + QUOTE, reply: 'Oui.' },
  { name: 'Get Outlook for Android', text: 'Thanks!\n\nGet Outlook for Android<https://aka.ms/ghei36>', reply: 'Thanks!' },
  { name: 'Von meinem … gesendet', text: 'Gut.\n\nVon meinem iPhone gesendet', reply: 'Gut.' },
  { name: 'device line above an unmarked original', text: 'Agreed.\n\nSent from my Pixel\n\nHello, this is the message you sent us.', reply: 'Agreed.' },
  { name: 'mailing-list footer after a rule', text: 'Question about exports.\n\n_______________________________________________\nusers mailing list\nusers@lists.example.org', reply: 'Question about exports.' },
];

describe('extractReply drops signatures', () => {
  it.each(replySignatures)('$name', ({ text, reply }) => {
    expect(extractReply(text)).toBe(reply);
  });
});

describe('withoutSignature (a first mail)', () => {
  it.each([
    ['a standard signature', 'The export is empty.\n\nAda\n-- \nAda Lovelace\nAnalyst, Acme\n+33 1 23 45 67 89', 'The export is empty.\n\nAda'],
    ['a device line', 'Printer on fire.\n\nSent from my iPhone', 'Printer on fire.'],
    ['a French device line', 'Imprimante en feu.\n\nEnvoyé de mon iPhone', 'Imprimante en feu.'],
    ['the last delimiter only', 'First part\n-- \nnot a signature: more follows\n\nSecond part\n-- \nAda', 'First part\n--\nnot a signature: more follows\n\nSecond part'],
    ['a long block below "-- " is content, not a signature', `Intro\n-- \n${Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n')}`, `Intro\n--\n${Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n')}`],
    ['a forwarded message stays', 'FYI\n\n---------- Forwarded message ---------\nFrom: Bob <bob@x.test>\nSubject: Down\n\nIt is down.', 'FYI\n\n---------- Forwarded message ---------\nFrom: Bob <bob@x.test>\nSubject: Down\n\nIt is down.'],
    ['a quote stays', 'See the log:\n> error 500\n> at line 3', 'See the log:\n> error 500\n> at line 3'],
    ['nothing but a signature keeps the text (line ends trimmed)', '-- \nAda', '--\nAda'],
    ['a delimiter that lost its space in HTML', 'The export is empty.\n\nBest,\nAda\n\n--\nAda Lovelace\nAnalyst, Acme', 'The export is empty.\n\nBest,\nAda'],
    ['a bare "--" above content stays', 'Compare the two outputs:\n--\nexpected 12 rows, got 0 rows since the update.\nSame with CSV.', 'Compare the two outputs:\n--\nexpected 12 rows, got 0 rows since the update.\nSame with CSV.'],
  ])('%s', (_name, text, expected) => {
    expect(withoutSignature(text)).toBe(expected);
  });
});

// Undelimited signature blocks: the short name / title / phone / web block people end mail with.
// Every fixture below is written for this suite. `sender` is the From display name, when it helps.
const signatureBlocks: { name: string; text: string; visible: string; sender?: string }[] = [
  {
    name: 'en name, title, phone and web address',
    text: 'The invoice export is empty since Monday.\n\nJane Doe\nHead of IT, Acme\n+33 1 23 45 67 89\nwww.acme.example',
    visible: 'The invoice export is empty since Monday.',
  },
  {
    name: 'en closing formula in its own paragraph goes with the block',
    text: 'Hi,\n\nThe report still shows last month.\n\nBest regards,\n\nJohn Smith\nCEO | Acme Ltd\nhttps://acme.example',
    visible: 'Hi,\n\nThe report still shows last month.',
  },
  {
    name: 'en closing formula, name and title in one paragraph',
    text: 'Can you have a look?\n\nKind regards,\nJohn Smith\nSenior Software Engineer\nAcme Inc.',
    visible: 'Can you have a look?',
  },
  {
    name: 'en pipes and labelled numbers',
    text: 'Works now, thank you.\n\nJane Doe | Head of Support | Acme\nT +44 20 7946 0000 | M +44 7700 900000',
    visible: 'Works now, thank you.',
  },
  {
    name: 'en plain-text part of an HTML signature (link targets, logo)',
    text: 'Thanks for the fix.\n\nJane Doe\nIT Manager\njane.doe@acme.example<mailto:jane.doe@acme.example>\nwww.acme.example<http://www.acme.example/>\n[cid:image001.png@01D5DA3C.5C1E4F60]',
    visible: 'Thanks for the fix.',
  },
  {
    name: 'en block followed by a device line',
    text: 'Done.\n\nJohn Smith\nCTO, Acme\n\nSent from my iPhone',
    visible: 'Done.',
  },
  {
    name: 'en block over two paragraphs',
    text: 'The VPN drops every hour.\n\nJane Doe\nNetwork Administrator\n\nAcme Corp\n12 Main Street, Springfield\n+1 555 0100',
    visible: 'The VPN drops every hour.',
  },
  {
    name: 'fr Cordialement, nom, fonction, téléphone',
    text: 'Bonjour,\n\nLa facture de mars est introuvable.\n\nCordialement,\n\nMarie Dupont\nResponsable comptabilité\nTél. : 01 23 45 67 89\nwww.exemple.fr',
    visible: 'Bonjour,\n\nLa facture de mars est introuvable.',
  },
  {
    name: 'fr Merci, nom et société',
    text: "Bonjour,\n\nL'application plante au démarrage.\n\nMerci,\nJean-Pierre Martin\nDirecteur technique\nExemple SARL",
    visible: "Bonjour,\n\nL'application plante au démarrage.",
  },
  {
    name: 'de Mit freundlichen Grüßen and a company block',
    text: 'Hallo,\n\nder Export bricht mit einem Fehler ab.\n\nMit freundlichen Grüßen\n\nMax Mustermann\nGeschäftsführer\nMuster GmbH\nTel.: +49 30 1234567\nwww.muster.example',
    visible: 'Hallo,\n\nder Export bricht mit einem Fehler ab.',
  },
  {
    name: 'de Viele Grüße, Name, Handy',
    text: 'Das Passwort wird nicht angenommen.\n\nViele Grüße\nAnna Schmidt\nProjektleiterin\nHandy: 0171 2345678',
    visible: 'Das Passwort wird nicht angenommen.',
  },
  {
    name: 'es Saludos cordiales, nombre, cargo, móvil',
    text: 'Hola,\n\nNo puedo descargar la factura.\n\nSaludos cordiales,\nLucía García\nDirectora de Sistemas\nMóvil: +34 612 345 678',
    visible: 'Hola,\n\nNo puedo descargar la factura.',
  },
  {
    name: 'en "Thanks & regards," and a labelled mobile',
    text: 'The file is attached.\n\nThanks & regards,\nRaj Kumar\nSystem Administrator | Acme Pvt Ltd\nM: +91 98765 43210',
    visible: 'The file is attached.',
  },
  {
    name: 'en a closing word that is all the client wrote stays',
    text: 'Thanks!\n\nJohn Smith\nSoftware Developer\nAcme Corporation\nPhone: (555) 123-4567',
    visible: 'Thanks!',
  },
  {
    name: 'fr "Merci et bonne journée," and a mail address',
    text: 'Ça marche.\n\nMerci et bonne journée,\n\nLuc Bernard\nChef de projet\nluc.bernard@exemple.fr',
    visible: 'Ça marche.',
  },
  {
    name: 'de "Danke und Gruß" and a company form',
    text: 'Der Drucker geht nicht.\n\nDanke und Gruß\nPeter Müller\nIT-Leiter\nFirma GmbH',
    visible: 'Der Drucker geht nicht.',
  },
  {
    name: 'de bilingual closing formula',
    text: 'Bitte prüfen.\n\nMit freundlichen Grüßen / Kind regards\n\nDr. Hans Meier\nLeiter Rechenzentrum\nTelefon +49 89 123456-78',
    visible: 'Bitte prüfen.',
  },
  {
    name: 'es department abbreviation and landline',
    text: 'No funciona el acceso.\n\nUn saludo,\n\nMaría López\nDpto. de Administración\nTel. 91 123 45 67',
    visible: 'No funciona el acceso.',
  },
  {
    name: "the sender's own name opens a block without a phone or a title",
    text: 'Le lien ne marche plus.\n\nAda Lovelace\nAcme Analytics',
    visible: 'Le lien ne marche plus.',
    sender: 'Ada Lovelace',
  },
  {
    name: "the sender's name written last name first",
    text: 'Der Link funktioniert nicht mehr.\n\nMÜLLER Jürgen\nMuster Werke',
    visible: 'Der Link funktioniert nicht mehr.',
    sender: 'Jürgen Müller',
  },
];

// The last lines are the client's own words: they stay.
const clientWords: { name: string; text: string; sender?: string }[] = [
  { name: 'an error code on the last line', text: 'The update fails every night.\n\nWindows Update\nError code 0x80070005' },
  { name: 'a numbered step list', text: 'It fails like this:\n\n1. Open Settings\n2. Click Export\n3. Choose PDF' },
  { name: 'steps without numbers that name a department', text: 'Steps to reproduce\n\nOpen Settings\nGo to Support\nClick Export' },
  { name: 'a short sentence', text: 'Please fix this.\n\nThe button is grey.' },
  { name: 'a closing formula and a first name alone', text: 'The export fails.\n\nThanks,\nAlex', sender: 'Alex Martin' },
  { name: 'a phone number given as an answer', text: 'You asked how to reach me.\n\nCall me at +33 6 12 34 56 78' },
  { name: 'a block below a request to be called', text: 'Please call me back tomorrow morning.\n\nJane Doe\nIT Manager\n+33 6 12 34 56 78' },
  { name: 'fr a block below a request to be called', text: 'Merci de me rappeler demain.\n\nMarie Dupont\nResponsable informatique\n06 12 34 56 78' },
  { name: 'a contact announced by a colon', text: 'Our new contact for invoices is:\n\nJohn Smith\nChief Accountant\n+33 1 23 45 67 89' },
  { name: 'a message that is nothing but a block', text: 'Jane Doe\nHead of IT\n+33 1 23 45 67 89' },
  { name: 'a block followed by more client text', text: 'Jane Doe\nHead of IT\n+33 1 23 45 67 89\n\nThe export fails since Monday.' },
  { name: 'a page address with a path', text: 'It breaks on this page.\n\nAcme Portal\nhttps://portal.acme.example/invoices/2024' },
  { name: 'a name without any evidence', text: 'The CEO asked me to write to you.\n\nJohn Smith' },
  { name: 'de an error code', text: 'Der Drucker druckt nicht.\n\nFehlercode: 0x80070005' },
  { name: 'de a sentence on the last line', text: 'Hallo,\n\nseit dem Update geht nichts mehr.\nBitte um Rückmeldung' },
  { name: 'es a step list', text: '¿Pueden ayudarme?\n\nPasos:\n1. Abrir la aplicación\n2. Pulsar Exportar' },
  { name: 'es a phone number as the answer', text: 'Mi número es el siguiente.\n\nMóvil: +34 612 345 678' },
  { name: 'fr a phone number in a sentence', text: 'Bonjour,\n\nMerci de me rappeler au 06 12 34 56 78.' },
  { name: 'fr a dated list of events', text: 'Historique :\n\nLundi 3 février\nPanne du serveur\n01 23 45 67 89' },
  { name: 'steps naming a product with a title word', text: 'When it hangs I do this.\n\nOpen Settings\nStart Task Manager\nEnd Explorer' },
  { name: 'a server and its address', text: 'The print queue is stuck.\n\nPrint Server\n192.168.1.10' },
  { name: 'a product and its version', text: 'It crashes on start.\n\nAcme Desktop\n10.0.17763.1234' },
  { name: 'an order number', text: 'The parcel never arrived.\n\nOrder Number\n2024001234' },
  { name: 'a delivery address asked for above', text: 'Please ship the replacement to my office.\n\nJane Doe\nAcme Corp\n12 Main Street, Springfield' },
  { name: 'a sentence that runs on into the block', text: 'Please update the record to\n\nJohn Smith\nSoftware Developer\n+1 555 0100' },
  { name: 'fr a sentence that runs on into the block', text: 'Merci de changer le titulaire pour\n\nJean Martin\nDirecteur financier\n01 23 45 67 89' },
  { name: 'a contact person introduced above', text: "Here is our IT contact for the migration.\n\nBob Martin\nIT Manager\nbob.martin@acme.example" },
  { name: 'es a contact person introduced above', text: 'Les paso el contacto del responsable.\n\nPedro Sánchez\nJefe de Sistemas\n+34 612 345 678' },
  { name: 'de a new address announced above', text: 'Bitte ändern Sie unsere Adresse.\n\nMax Mustermann\nMuster GmbH\nHauptstraße 1, 10115 Berlin' },
];

describe('signature blocks without a delimiter', () => {
  it.each(signatureBlocks)('$name', ({ text, visible, sender }) => {
    expect(withoutSignature(text, sender)).toBe(visible);
    expect(extractReply(text, sender)).toBe(visible);
  });

  it('drops the block above a quoted original', () => {
    const text = 'Yes, it works now.\n\nJane Doe\nIT Manager, Acme\n+33 1 23 45 67 89\n\nOn Mon, 3 Feb 2020 at 10:00, Support <support@example.com> wrote:\n' + QUOTE;
    expect(extractReply(text, 'Jane Doe')).toBe('Yes, it works now.');
  });

  it('keeps the block without the sender name when nothing else marks it', () => {
    expect(withoutSignature('Le lien ne marche plus.\n\nAda Lovelace\nAcme Analytics')).toBe('Le lien ne marche plus.\n\nAda Lovelace\nAcme Analytics');
  });

  it('stays fast when a long body ends with a block', () => {
    const block = '\n\nJane Doe\nHead of IT\n+33 1 23 45 67 89';
    const started = Date.now();
    for (const body of ['send'.repeat(50_000) + block, 'Jane Doe\n'.repeat(50_000) + 'Done.' + block]) {
      withoutSignature(body);
      extractReply(body);
    }
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each(clientWords)('keeps $name', ({ text, sender }) => {
    expect(withoutSignature(text, sender)).toBe(text);
    expect(extractReply(text, sender)).toBe(text);
  });
});

// Lines a client may write, tricky ones included: names, titles, numbers, closing formulas.
const clientLine = fc.oneof(
  fc.constantFrom(
    'Jane Doe', 'Head of IT, Acme', '+33 1 23 45 67 89', 'www.acme.example', 'Thanks,', 'Regards,', 'Merci,', 'Cordialement,',
    'Mit freundlichen Grüßen', 'Saludos,', 'CEO @ Acme', 'Tel.: +49 30 1234567', 'Acme GmbH', 'jane@acme.example',
    'Error code 0x80070005', '1. Open Settings', 'Go to Support', 'Sent the invoice on Monday', '> quoted line', 'Hello,', '',
  ),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' ')),
);
const clientSentence = fc.constantFrom(
  'The export still fails.', 'Can you help?', 'Le bouton ne répond pas.', 'Der Export bricht ab.', 'No puedo entrar.', 'It works now, thanks a lot for your help.',
);

describe('withoutSignature never hides what comes before more client text', () => {
  const body = fc.tuple(fc.array(clientLine, { maxLength: 12 }), clientSentence).map(([lines, last]) => [...lines, last]);

  it('removes nothing when the message ends with a sentence', () => {
    fc.assert(
      fc.property(body, fc.constantFrom(undefined, 'Jane Doe', 'Ada Lovelace'), (lines, sender) => {
        fc.pre(!lines.includes('-- '));
        const text = lines.join('\n');
        expect(withoutSignature(text, sender)).toBe(text.split('\n').map((l) => l.trimEnd()).join('\n').trim());
      }),
      { numRuns: 2000 },
    );
  });

  it('only ever removes an ending: what is kept is the start of the message', () => {
    fc.assert(
      fc.property(fc.array(clientLine, { maxLength: 16 }), fc.constantFrom(undefined, 'Jane Doe'), (lines, sender) => {
        fc.pre(!lines.includes('-- '));
        const text = lines.join('\n');
        const kept = withoutSignature(text, sender);
        const tidied = text.split('\n').map((l) => l.trimEnd()).join('\n').trim();
        expect(tidied.startsWith(kept)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
