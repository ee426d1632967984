// Reply extraction over messages written the way mail clients write them, in several languages.
// Every fixture is written here; each expectation is the exact comment text Guichet should keep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/mail/html-text.ts';
import { extractReply, withoutSignature } from '../../src/mail/reply-text.ts';
import { REPLY_MARKER } from '../../src/protocol/markers.ts';

const QUOTE = '> Bonjour, pouvez-vous nous envoyer le journal ?\n> Merci\n';

const cases: { name: string; text: string; reply: string }[] = [
  // No quote at all.
  { name: 'plain message stays whole', text: '\n  Hello,\n\nThe export fails.\n\nThanks,\nAlex\n\n', reply: 'Hello,\n\nThe export fails.\n\nThanks,\nAlex' },
  { name: 'CRLF is normalised', text: 'Line one\r\nLine two\r\n\r\n> old\r\n', reply: 'Line one\nLine two' },
  { name: 'trailing spaces are trimmed per line', text: 'Hi, \nBye  \n', reply: 'Hi,\nBye' },

  // Attribution lines ("On … wrote:") in many languages and clients.
  { name: 'en Gmail', text: 'Here it is.\n\nOn Mon, 3 Feb 2020 at 10:00, Support <support@example.com> wrote:\n\n' + QUOTE, reply: 'Here it is.' },
  {
    name: 'en Gmail wrapped over two lines',
    text: 'Done.\n\nOn Mon, Feb 3, 2020 at 10:00 AM Support Team of Example Corporation <\nsupport@example.com> wrote:\n' + QUOTE,
    reply: 'Done.',
  },
  { name: 'en Apple Mail wrapped over three lines', text: 'Works now.\n\nOn 3 Feb 2020,\nat 10:00,\nSupport <support@example.com> wrote:\n\n' + QUOTE, reply: 'Works now.' },
  { name: 'en Thunderbird without address', text: 'ok\n\nOn 03/02/2020 10:00, Jean Dupont wrote:\n' + QUOTE, reply: 'ok' },
  { name: 'en quote header with no blank line before it', text: 'Sure thing.\nOn Feb 3, 2020, at 10:00, Ann <ann@example.com> wrote:\n' + QUOTE, reply: 'Sure thing.' },
  {
    name: 'fr Gmail',
    text: 'Voici le journal.\n\nLe lun. 3 févr. 2020 à 10:00, Support <support@example.com> a écrit :\n\n' + QUOTE,
    reply: 'Voici le journal.',
  },
  { name: 'fr Gmail wrapped before "écrit"', text: 'Merci, ça marche.\n\nLe lun. 3 févr. 2020 à 10:00, Jean Dupont <jean@example.fr> a\nécrit :\n\n' + QUOTE, reply: 'Merci, ça marche.' },
  { name: 'fr Thunderbird', text: "C'est réglé.\n\nLe 03/02/2020 à 10:00, Support a écrit :\n" + QUOTE, reply: "C'est réglé." },
  { name: 'fr name-only attribution', text: 'Toujours pareil.\n\nMarie Curie <marie@example.fr> a écrit :\n' + QUOTE, reply: 'Toujours pareil.' },
  { name: 'de Apple Mail', text: 'Danke!\n\nAm 03.02.2020 um 10:00 schrieb Support <support@example.com>:\n\n' + QUOTE, reply: 'Danke!' },
  { name: 'de Gmail "schrieb am"', text: 'Passt.\n\nMax Muster <max@example.de> schrieb am Mo., 3. Feb. 2020 um 10:00 Uhr:\n\n' + QUOTE, reply: 'Passt.' },
  { name: 'es Gmail', text: 'Gracias.\n\nEl lun, 3 feb 2020 a las 10:00, Soporte (<soporte@example.com>) escribió:\n' + QUOTE, reply: 'Gracias.' },
  { name: 'it Gmail', text: 'Grazie.\n\nIl giorno lun 3 feb 2020 alle ore 10:00 Supporto <supporto@example.com> ha scritto:\n' + QUOTE, reply: 'Grazie.' },
  { name: 'nl Gmail', text: 'Bedankt.\n\nOp ma 3 feb. 2020 om 10:00 schreef Support <support@example.com>:\n' + QUOTE, reply: 'Bedankt.' },
  { name: 'nl Apple Mail', text: 'Prima.\n\nOp 3 feb. 2020 om 10:00 heeft Jan <jan@example.nl> het volgende geschreven:\n\n' + QUOTE, reply: 'Prima.' },
  { name: 'pl Thunderbird', text: 'Dziękuję.\n\nW dniu 03.02.2020 o 10:00, Support <support@example.com> pisze:\n' + QUOTE, reply: 'Dziękuję.' },
  { name: 'pt Gmail', text: 'Obrigado.\n\nEm seg., 3 de fev. de 2020 às 10:00, Suporte <suporte@example.com> escreveu:\n' + QUOTE, reply: 'Obrigado.' },
  { name: 'ru Gmail (date, address, colon)', text: 'Спасибо.\n\nпн, 3 февр. 2020 г. в 10:00, Support <support@example.com>:\n\n' + QUOTE, reply: 'Спасибо.' },
  { name: 'uk Gmail', text: 'Дякую.\n\nпн, 3 лют. 2020 р. о 10:00 Support <support@example.com> пише:\n' + QUOTE, reply: 'Дякую.' },
  { name: 'ja Gmail', text: 'ありがとうございます。\n\n2020年2月3日(月) 10:00 山田太郎 <taro@example.jp>:\n\n' + QUOTE, reply: 'ありがとうございます。' },
  { name: 'sv / da "Den … skrev"', text: 'Tack.\n\nDen 3 feb. 2020 kl. 10:00 skrev Support <support@example.com>:\n' + QUOTE, reply: 'Tack.' },
  { name: 'no Gmail with wrapped address', text: 'Takk.\n\nman. 3. feb. 2020 kl. 10:00 skrev Support <support@example.com\n>:\n\n' + QUOTE, reply: 'Takk.' },
  { name: 'hu "írta"', text: 'Köszönöm.\n\n2020.02.03. 10:00 keltezéssel, "Support" írta:\n' + QUOTE, reply: 'Köszönöm.' },

  // Outlook and webmail header blocks, separators and forwards.
  {
    name: 'en Outlook rule and header block',
    text: 'See attached.\n\n________________________________\nFrom: Support <support@example.com>\nSent: Monday, February 3, 2020 10:00 AM\nTo: Ann <ann@example.com>\nSubject: RE: [#12] Export\n\nHello Ann,',
    reply: 'See attached.',
  },
  {
    name: 'fr Outlook header block without rule',
    text: 'Bonjour,\n\nToujours en panne.\n\nCordialement,\nMarie\n\nDe : Support <support@example.com>\nEnvoyé : lundi 3 février 2020 10:00\nÀ : Marie <marie@example.fr>\nObjet : RE: [#12] Panne\n\nBonjour Marie,',
    reply: 'Bonjour,\n\nToujours en panne.\n\nCordialement,\nMarie',
  },
  { name: 'de Outlook header block', text: 'Erledigt.\n\nVon: Support <support@example.com>\nGesendet: Montag, 3. Februar 2020 10:00\nAn: Max\nBetreff: AW: Test\n\nHallo', reply: 'Erledigt.' },
  { name: 'bold header block from an HTML reply', text: 'Yes.\n\n*From:* Support\n*Sent:* Monday\n*To:* Ann\n*Subject:* Hi\n\nOld text', reply: 'Yes.' },
  { name: 'Hotmail block with Date and Subject above From', text: 'Fine.\n\nDate: Mon, 3 Feb 2020 10:00:00 +0100\nSubject: Test\nFrom: a@example.com\nTo: b@example.com\n\nOld', reply: 'Fine.' },
  { name: 'en -----Original Message-----', text: 'Approved.\n\n-----Original Message-----\nFrom: Bob\nPlease approve', reply: 'Approved.' },
  { name: "fr -----Message d'origine-----", text: "D'accord.\n\n-----Message d'origine-----\nDe : Bob\nMerci de valider", reply: "D'accord." },
  { name: 'da dashed separator', text: 'Tak.\n\n-------- Oprindelig besked --------\nFra: Support\nEmne: Hej', reply: 'Tak.' },
  { name: 'forward with a note keeps the note', text: 'FYI, see below.\n\n---------- Forwarded message ---------\nFrom: A <a@example.com>\nDate: Mon, 3 Feb 2020\nSubject: X\nTo: b@example.com\n\nBody', reply: 'FYI, see below.' },
  { name: 'bare forward keeps the forwarded body', text: '---------- Forwarded message ---------\nFrom: A <a@example.com>\nSubject: X\nTo: b@example.com\n\nThe printer is on fire.', reply: 'The printer is on fire.' },
  { name: 'pt Outlook header block', text: 'Ok.\n\nDe: Suporte <s@example.com>\nEnviada em: segunda-feira, 3 de fevereiro de 2020 10:00\nPara: Ana\nAssunto: RE: teste\n\nOlá', reply: 'Ok.' },
  { name: 'fr Zimbra separator', text: 'Bien reçu.\n\n----- Mail original -----\nDe: A\nÀ: B\nEnvoyé: Lundi\nObjet: X\n\nAncien', reply: 'Bien reçu.' },
  { name: 'Lotus Notes "wrote on"', text: 'Noted.\n\nBob Smith/Acme wrote on 03/02/2020 10:00:\n\nOld text', reply: 'Noted.' },
  { name: 'Android dashed attribution', text: 'Ok.\n\n---- Bob Smith wrote ----\n\nOld text', reply: 'Ok.' },
  { name: 'fr Apple Mail forward intro', text: 'Pour info.\n\nDébut du message réexpédié :\n\nDe: A <a@example.com>\nObjet: X', reply: 'Pour info.' },

  // Signatures.
  { name: 'standard "-- " signature', text: 'It crashed again.\n\n-- \nJane Doe\nACME Corp\n+33 1 23 45 67 89', reply: 'It crashed again.' },
  { name: 'Sent from my iPhone', text: 'Yes, please go ahead.\n\nSent from my iPhone', reply: 'Yes, please go ahead.' },
  { name: 'Envoyé de mon iPhone before a quote', text: 'Oui.\n\nEnvoyé de mon iPhone\n\nLe 3 févr. 2020 à 10:00, Support <support@example.com> a écrit :\n\n' + QUOTE, reply: 'Oui.' },
  { name: 'Get Outlook for Android', text: 'Thanks!\n\nGet Outlook for Android<https://aka.ms/ghei36>', reply: 'Thanks!' },
  { name: 'Von meinem … gesendet', text: 'Gut.\n\nVon meinem iPhone gesendet', reply: 'Gut.' },
  { name: 'device line above an unmarked original', text: 'Agreed.\n\nSent from my Pixel\n\nHello, this is the message you sent us.', reply: 'Agreed.' },
  { name: 'mailing-list footer after a rule', text: 'Question about exports.\n\n_______________________________________________\nusers mailing list\nusers@lists.example.org', reply: 'Question about exports.' },

  // Guichet's own marker.
  { name: 'marker line', text: `Yes please.\n\n${REPLY_MARKER}\nTicket #12 was updated.`, reply: 'Yes please.' },
  { name: 'marker quoted below an attribution', text: `Oui.\n\nLe 3 févr. 2020, Guichet <support@example.com> a écrit :\n> ${REPLY_MARKER}\n> Ticket 12`, reply: 'Oui.' },
  { name: 'French half of the marker alone', text: 'Merci.\n> ## Répondez au-dessus de cette ligne ##\n> Ticket 12', reply: 'Merci.' },

  // Inline answers, bottom-posts, nothing new.
  { name: 'inline answers keep their questions', text: 'Hi,\n\n> Which version?\n\n2.3\n\n> Which OS?\n\nLinux\n\n> old signature\n', reply: 'Hi,\n\n> Which version?\n\n2.3\n\n> Which OS?\n\nLinux' },
  { name: 'bottom-post keeps what follows the quote', text: 'On Mon, 3 Feb 2020 at 10:00, Support <support@example.com> wrote:\n' + QUOTE + '\nHere is the log you asked for.', reply: 'Here is the log you asked for.' },
  { name: 'a quote alone is returned whole', text: '> only a quote\n> nothing else\n', reply: '> only a quote\n> nothing else' },
  { name: 'hard-wrapped quote tail is part of the quote', text: 'Noted.\n\nOn 3 Feb 2020, at 10:00, Bob <bob@example.com> wrote:\n> This line was long enough to be wrapped by the client that sent it, so its\ntail lost the marker\n> and the quote goes on', reply: 'Noted.' },

  // Prose that looks like a header, a signature or a device line stays.
  { name: 'prose starting with "On" and ending with "wrote:"', text: 'Hi,\n\nOn Monday I wrote the following:\n\n  npm install\n\nIt still fails.', reply: 'Hi,\n\nOn Monday I wrote the following:\n\n  npm install\n\nIt still fails.' },
  { name: 'sentence before a real attribution is kept', text: 'On my side everything works.\n\nOn Mon, 3 Feb 2020 at 10:00, X <x@example.com> wrote:\n> hi', reply: 'On my side everything works.' },
  { name: 'dash list is not a signature', text: 'Please check:\n-- the invoice\n-- the address\n\nThanks!', reply: 'Please check:\n-- the invoice\n-- the address\n\nThanks!' },
  { name: '"--" inside a line is not a signature', text: 'Here is a fix -- not a signature.\n\nBye', reply: 'Here is a fix -- not a signature.\n\nBye' },
  { name: 'a last line about a phone stays', text: 'Please call me back.\nMy phone number is 0612345678', reply: 'Please call me back.\nMy phone number is 0612345678' },
  { name: 'a last line that starts with "Sent" stays', text: 'Hello\n\nSent the invoice to accounting on Monday', reply: 'Hello\n\nSent the invoice to accounting on Monday' },
  { name: '"sent from my" inside a sentence stays', text: 'The alert was sent from my iPhone app to all users, see above.', reply: 'The alert was sent from my iPhone app to all users, see above.' },
  { name: 'From: words in prose stay', text: 'Data comes from: our database.\nFrom: the export, not the API.', reply: 'Data comes from: our database.\nFrom: the export, not the API.' },
  { name: 'emoticon on the last line stays', text: 'Thanks!\n\n:)', reply: 'Thanks!\n\n:)' },
];

describe('extractReply', () => {
  it.each(cases)('$name', ({ text, reply }) => {
    expect(extractReply(text)).toBe(reply);
  });

  it('returns the empty string for an empty body', () => {
    expect(extractReply('  \n\n')).toBe('');
  });

  it('stays fast on pathological input', () => {
    const started = Date.now();
    extractReply('-'.repeat(50_000) + '\n' + 'a'.repeat(200_000) + '\n' + 'On 1 Jan 2020, a <a@b.cc> wrote:\n> x\ny\n'.repeat(5_000));
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

const html: { name: string; html: string; text: string }[] = [
  { name: 'paragraphs and line breaks', html: '<p>Hello,</p><p>first line<br>second line</p>', text: 'Hello,\n\nfirst line\nsecond line' },
  { name: 'divs with an empty line between', html: '<div>Hi.</div><div><br></div><div>Thanks,</div><div>Alex</div>', text: 'Hi.\n\nThanks,\nAlex' },
  { name: '&nbsp; blocks are blank lines', html: '<div>Hi.</div><div>&nbsp;</div><div>Bye</div>', text: 'Hi.\n\nBye' },
  { name: 'entities are decoded', html: '<p>a &amp; b &lt;tag&gt; caf&eacute; &#8364;5</p>', text: 'a & b <tag> café €5' },
  { name: 'scripts, styles and head are dropped', html: '<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Body</p></body></html>', text: 'Body' },
  { name: 'blockquote content is prefixed', html: '<div>Reply</div><blockquote><div>old</div><blockquote>older</blockquote></blockquote>', text: 'Reply\n\n> old\n\n> > older' },
  { name: 'lists become dashes', html: '<ul><li>one</li><li>two <b>bold</b></li></ul>', text: '- one\n- two bold' },
  { name: 'whitespace collapses outside pre', html: '<p>a\n   b\t c</p><pre>x  y\n  z</pre>', text: 'a b c\n\nx  y\n  z' },
  { name: 'table cells are separated', html: '<table><tr><td>Name</td><td>Value</td></tr><tr><td>a</td><td>1</td></tr></table>', text: 'Name Value\na 1' },
];

describe('htmlToText', () => {
  it.each(html)('$name', ({ html: input, text }) => {
    expect(htmlToText(input)).toBe(text);
  });
});

// How clients lay out an HTML reply; the text extractReply sees is htmlToText's.
const htmlReplies: { name: string; html: string }[] = [
  {
    name: 'Gmail',
    html: '<div dir="ltr">I am fine.<div><br></div><div>Thanks,</div><div>Alex</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Fri, Mar 21, 2014 at 12:08 PM, Bob &lt;<a href="mailto:bob@example.com">bob@example.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote"><div dir="ltr">How are you?</div></blockquote></div>',
  },
  {
    name: 'Outlook desktop',
    html: '<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1><p class=MsoNormal>I am fine.<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Thanks,<br>Alex<o:p></o:p></p><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal><b>From:</b> Bob &lt;bob@example.com&gt;<br><b>Sent:</b> Friday, March 21, 2014 12:08 PM<br><b>To:</b> Alex<br><b>Subject:</b> Hi</p></div><p class=MsoNormal>How are you?</p></div></body></html>',
  },
  {
    name: 'Thunderbird (French)',
    html: '<html><body><p>I am fine.</p><p>Thanks,<br>Alex</p><div class="moz-cite-prefix">Le 21/03/2014 à 12:08, Bob a écrit&nbsp;:<br></div><blockquote type="cite">How are you?</blockquote></body></html>',
  },
  {
    name: 'Apple Mail',
    html: '<div>I am fine.</div><div><br></div><div>Thanks,</div><div>Alex</div><div><br><blockquote type="cite"><div>On 21 Mar 2014, at 12:08, Bob &lt;bob@example.com&gt; wrote:</div><div>How are you?</div></blockquote></div>',
  },
];

describe('extractReply on HTML bodies', () => {
  it.each(htmlReplies)('$name', ({ html: input }) => {
    expect(extractReply(htmlToText(input))).toBe('I am fine.\n\nThanks,\nAlex');
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
