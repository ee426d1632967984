// Guichet's email protocol, the Message-IDs: every mail Guichet sends has its own, under the support
// domain and naming the ticket, so replies quoting it find the ticket and raw headers read well.
import { randomUUID } from 'node:crypto';

export function mintMessageId(domain: string, ticketNumber: number | null, event: string): string {
  const id = randomUUID();
  return ticketNumber === null ? `<${event}.${id}@${domain}>` : `<ticket-${ticketNumber}.${event}.${id}@${domain}>`;
}

