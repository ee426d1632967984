// HTML from email is hostile until proven otherwise: this is the only way it reaches storage that a
// browser will read. Scripts, event handlers, forms, styles that can exfiltrate (url()), remote
// frames and unknown schemes are removed; `cid:` stays so the admin can point it at the attachment.
import sanitizeHtml from 'sanitize-html';

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'code', 'col', 'colgroup', 'dd', 'del', 'div',
    'dl', 'dt', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'li',
    'ol', 'p', 'pre', 'q', 's', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody',
    'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height', 'data-remote-src'],
    td: ['colspan', 'rowspan', 'align', 'valign'],
    th: ['colspan', 'rowspan', 'align', 'valign'],
    font: ['color'],
    '*': ['dir', 'lang'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
    // A remote image tells its sender that, when and where the mail was read: it is kept aside, to be
    // loaded only when staff ask for it (the admin's "load remote images").
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      if (src && /^https?:\/\//i.test(src)) return { tagName, attribs: { ...rest, 'data-remote-src': src } };
      const { 'data-remote-src': _forged, ...kept } = attribs;
      return { tagName, attribs: kept };
    },
  },
};

export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
