// Reply extraction over messages written the way mail clients write them, in several languages.
// Every fixture is written here; each expectation is the exact comment text Guichet should keep.
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/mail/html-text.ts';
import { extractReply } from '../../src/mail/reply-text.ts';
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
