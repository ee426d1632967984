// How the IMAP poller cuts a backlog into chunks: bounded in count and in bytes, so the memory a
// backlog takes stays bounded whatever the message sizes (one chunk in hand, the next one fetched).

/**
 * Cuts UIDs (ascending) into chunks of at most `maxCount` messages and `maxBytes` bytes; a message
 * larger than `maxBytes` is a chunk of its own. A UID of unknown size (expunged meanwhile) counts 0.
 */
export function cutChunks(uids: number[], sizes: Map<number, number>, maxCount: number, maxBytes: number): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
