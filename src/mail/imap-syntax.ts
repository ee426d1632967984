// The two bits of IMAP syntax the poller writes and reads: the mailbox URL of the configuration
// (`imap.url`) and UID sets for FETCH and STORE.

export function parseImapUrl(url: string) {
  const u = new URL(url);
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') throw new Error(`not an IMAP URL: ${u.protocol}`);
  const secure = u.protocol === 'imaps:';
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(u.username),
    pass: decodeURIComponent(u.password),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

/** `[1,2,3,7]` → `1:3,7`, so a chunk of 200 UIDs stays a short command. */
export function toSequenceSet(uids: number[]): string {
  const parts: string[] = [];
  for (let i = 0, j = 0; i < uids.length; i = ++j) {
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(i === j ? `${uids[i]}` : `${uids[i]}:${uids[j]}`);
  }
  return parts.join(',');
}
