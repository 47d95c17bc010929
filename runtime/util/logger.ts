import pino from 'pino';
import type PinoPretty from 'pino-pretty';
import { logTailStream } from './log-tail';

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
    // Loaded only for a terminal: every task thread creates loggers, and pino-pretty costs each
    // thread start about 70 ms of CPU that JSON logs (a TaskManager's, to its log file) never use.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(
      options,
      withLogTail(
        pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }),
      ),
    );
  }
  return pino(options, withLogTail(pino.destination(2)));
}

/** Also hands every line to the process's log tail, once one is captured (`captureProcessLog`). */
function withLogTail(destination: pino.DestinationStream): pino.MultiStreamRes {
  // 'trace' on both: the logger's own level filters first.
  return pino.multistream([
    { stream: destination, level: 'trace' },
    { stream: logTailStream, level: 'trace' },
  ]);
}
