// Guichet's email protocol, the Message-IDs: every mail Guichet sends has its own, under the support
// domain and naming the ticket, so replies quoting it find the ticket and raw headers read well.
import { randomUUID } from 'node:crypto';

export function mintMessageId(domain: string, ticketNumber: number | null, event: string): string {
  const id = randomUUID();
  return ticketNumber === null ? `<${event}.${id}@${domain}>` : `<ticket-${ticketNumber}.${event}.${id}@${domain}>`;
}


/**
 * A Message-ID Guichet minted (above) under this domain: its own mail coming back. The shape is
 * matched, not just the domain, since people of the support domain's own company write mail under it.
 */
export function isOurMessageId(messageId: string, domain: string): boolean {
  const m = /^<(?:ticket-\d+\.)?[a-z-]+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@([^>]+)>$/.exec(messageId);
  return m !== null && m[1]!.toLowerCase() === domain.toLowerCase();
}
