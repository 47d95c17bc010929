import { SluiceError } from '../../runtime/errors';
import type { SluiceErrorCode } from '../../runtime/errors';

/**
 * Why a child process of the local launcher did not come up:
 * - `spawn-failed`: the binary could not be run (missing, not executable);
 * - `exited`: it ended before it was ready (bad config, crash);
 * - `port-in-use`: it ended because its port was taken; starting on another port may work;
 * - `timed-out`: it kept running but never became ready in time.
 */
export type ProcessFailureReason = 'spawn-failed' | 'exited' | 'port-in-use' | 'timed-out';

const CODES: Record<ProcessFailureReason, SluiceErrorCode> = {
  // A binary that cannot run, or a process that dies at once, is almost always a setup problem
  // (missing dependency, bad configuration); the log excerpt in the message says which.
  'spawn-failed': 'SLUICE_CONFIG',
  exited: 'SLUICE_CONFIG',
  'port-in-use': 'SLUICE_NETWORK',
  'timed-out': 'SLUICE_TIMEOUT',
};

/** The last lines one process wrote. */
export interface LogExcerpt {
  processName: string;
  /** Where the process writes its output, when that is a file. */
  logFile?: string;
  /** Its last lines ('' when it printed nothing). */
  tail: string;
}

/** A child process of the local launcher failed to start; the message ends with its last output lines. */
export class ProcessStartError extends SluiceError {
  /** The process that failed (the first one blamed, for a timeout that blames several). */
  readonly processName: string;
  readonly reason: ProcessFailureReason;
  readonly logs: readonly LogExcerpt[];

  constructor(
    summary: string,
    details: {
      processName: string;
      reason: ProcessFailureReason;
      logs?: readonly LogExcerpt[];
      cause?: unknown;
    },
  ) {
    const logs = details.logs ?? [];
    super(CODES[details.reason], summary + logs.map(formatExcerpt).join(''), {
      cause: details.cause,
      retryable: details.reason === 'port-in-use',
    });
    this.processName = details.processName;
    this.reason = details.reason;
    this.logs = logs;
  }
}

function formatExcerpt(excerpt: LogExcerpt): string {
  const where = excerpt.logFile ? `${excerpt.processName} (${excerpt.logFile})` : excerpt.processName;
  const tail = excerpt.tail.trimEnd();
  if (tail === '') return `\n  ${where} printed nothing`;
  const indented = tail
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `\n  last lines of ${where}:\n${indented}`;
}
