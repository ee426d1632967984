// The one logging signature every part of Guichet takes as a dependency: the composition root
// decides where lines go (the terminal for `guichet start`, nowhere for one-shot commands and tests).
export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, msg: string, extra?: object) => void;

export const silentLog: Log = () => {};
