// Guichet's email protocol, the links: clients never log in, so every action a notification offers
// is a mailto link that prefills a reply (RFC 6068).

/** A mailto URL, e.g. for the confirm / still-broken links of a resolution. */
export function mailtoUrl(to: string, fields: { subject?: string; body?: string } = {}): string {
  const query = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/\r?\n/g, '\r\n'))}`);
  const address = to.replace(/[^A-Za-z0-9@._+-]/g, (c) => encodeURIComponent(c));
  return `mailto:${address}${query.length ? `?${query.join('&')}` : ''}`;
}
