// Guichet's email protocol, the addresses: the support addresses are Guichet's own, and so is any
// plus variant of them (`support+shop@…` names a project). Mail from them is Guichet's own mail
// coming back; mail to them never makes their owner a watcher.

/** The domain of an address, lower-cased: what names an organisation's members. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** `support@example.com` + `shop` → `support+shop@example.com`. */
export function plusAddress(base: string, key: string): string {
  const at = base.lastIndexOf('@');
  return `${base.slice(0, at)}+${key.toLowerCase()}@${base.slice(at + 1)}`;
}

/** `support+shop@example.com` → `shop`, for the first recipient that is a plus variant of ours. */
export function plusKey(recipients: string[], ours: string[]): string | null {
  for (const r of recipients) {
    const m = /^([^+@]+)\+([^@]+)@(.+)$/.exec(r);
    if (m && ours.includes(`${m[1]}@${m[3]}`)) return m[2]!.toLowerCase();
  }
  return null;
}

/** One of our addresses, or a plus variant of one. Addresses are compared lower-cased. */
export function isOurAddress(address: string, ours: string[]): boolean {
  const a = address.toLowerCase();
  if (ours.includes(a)) return true;
  const m = /^([^+@]+)\+[^@]+@(.+)$/.exec(a);
  return m !== null && ours.includes(`${m[1]}@${m[2]}`);
}
