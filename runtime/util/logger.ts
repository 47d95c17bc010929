import pino from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

/**
 * Logs to stderr: JSON lines, or human-readable when stderr is a terminal (set
 * SLUICE_LOG_FORMAT=json to keep JSON there). Level from SLUICE_LOG_LEVEL (default info;
 * silent under jest unless set).
 */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.SLUICE_LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info');
  const options = { name, level, base: { pid: process.pid, ...bindings } };
  if (process.stderr.isTTY && process.env.SLUICE_LOG_FORMAT !== 'json') {
    return pino(
      options,
      pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }),
    );
  }
  return pino(options, pino.destination(2));
}
