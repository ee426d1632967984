// Guichet's email protocol, the body: markers Guichet writes into mail and reads back from replies.
// - The reply marker opens every notification; the reply extractor cuts a client's answer there.
// - An action marker is what a "confirm" / "still broken" mailto link prefills: it names the ticket
//   and a token renewed at each resolution, so an old link or a hand-typed "confirm" changes nothing.
// - A project marker is what a "which project?" link prefills: the project and the held message.
import { randomBytes } from 'node:crypto';

/** First line of every notification; an inbound reply is cut at it. */
export const REPLY_MARKER = '-- Reply above this line / Répondez au-dessus de cette ligne --';

const REPLY_MARKER_RE = /Reply above this line|Répondez au-dessus de cette ligne/i;

/** True for a line that is (what a mail program left of) the reply marker. */
export function isReplyMarker(line: string): boolean {
  return REPLY_MARKER_RE.test(line);
}

export type ClientAction = 'confirm' | 'still-broken';

/** A fresh token for a resolution's links (64 bits: guessing one is not a way in). */
export function newActionToken(): string {
  return randomBytes(8).toString('hex');
}

export function actionMarker(action: ClientAction, number: number, token: string): string {
  return `[${action} #${number} ${token}]`;
}

/** The action a reply's text carries for this ticket and its current token, or null. */
export function findActionMarker(text: string, number: number, token: string | null): ClientAction | null {
  if (!token) return null;
  const m = /\[(confirm|still-broken) #(\d+) ([0-9a-f]{16})\]/.exec(text);
  return m && Number(m[2]) === number && m[3] === token ? (m[1] as ClientAction) : null;
}

export function projectMarker(key: string, inboundId: number): string {
  return `[project ${key} #${inboundId}]`;
}

export function findProjectMarker(text: string): { key: string; inboundId: number } | null {
  const m = /\[project ([A-Za-z0-9_-]+) #(\d+)\]/.exec(text);
  return m ? { key: m[1]!, inboundId: Number(m[2]) } : null;
}
