// Where `guichet start` sends its log lines: pino, one JSON object a line (level, time, msg and the
// line's fields: inboundId, messageId, state, outcome, ticket…) for a log collector, or the same
// line made readable for a person at a terminal. The readable form is a few lines here rather than
// pino-pretty, which would pull a dozen packages (and a worker thread) into production for it.
import pino from 'pino';
import type { Log } from './log.ts';

export type LogFormat = 'json' | 'pretty';

/** JSON unless a person is reading: GUICHET_LOG_FORMAT wins, else a terminal on stdout means pretty. */
export function logFormat(env: Record<string, string | undefined> = process.env, tty = process.stdout.isTTY === true): LogFormat {
  const asked = env.GUICHET_LOG_FORMAT?.toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return tty ? 'pretty' : 'json';
}

const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One JSON line as a person reads it: time, level, message, then the fields as key=value. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const fields = Object.entries(o)
    .filter(([k, v]) => !OMITTED.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${/^[^\s"=]+$/.test(s) ? s : JSON.stringify(s)}`;
    });
  return `${o.time ?? ''} ${String(o.level ?? '').padEnd(5)} ${o.msg ?? ''}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
}

/**
 * A `Log` writing through pino. Synchronous writes: `guichet start` may end with process.exit()
 * (a second signal, or a stop past its bound), which must not drop the lines that explain it.
 */
export function createLogger(opts: { format: LogFormat; write?: (line: string) => void }): Log {
  const destination = opts.write
    ? { write: opts.format === 'pretty' ? (s: string) => opts.write!(prettyLine(s)) : opts.write }
    : opts.format === 'pretty'
      ? { write: (s: string) => void process.stdout.write(prettyLine(s)) }
      : pino.destination({ dest: 1, sync: true });
  const logger = pino(
    {
      level: 'info',
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: what a person greps for, and what the readable form prints.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return (level, msg, extra) => (extra ? logger[level](extra, msg) : logger[level](msg));
}
