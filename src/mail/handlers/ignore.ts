// Disposition "ignore": mail Guichet must not act on (its own, coming back); recorded with the reason.
import type { Handler } from './context.ts';

export const ignore: Handler<{ reason: string }> = async (_h, d) => ({ state: 'ignored', outcome: d.reason, ticketNumber: null });
