import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs to stderr; level from SLUICE_LOG_LEVEL (default info, `silent` in tests). */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.SLUICE_LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info');
  return pino({ name, level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
}
