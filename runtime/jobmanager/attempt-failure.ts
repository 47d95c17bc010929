import type { SerializedError } from '../errors';
import type { FailureLocation } from './exception-history';

/**
 * Failures no restart can help (Flink's non-recoverable errors): a task that rebuilds another
 * graph or an invalid job fails the same way every time, and missing slots were already
 * waited for during slot.request.timeout.
 */
export const NO_RESTART_CODES: ReadonlySet<string> = new Set([
  'SLUICE_NO_RESOURCES',
  'SLUICE_GRAPH_MISMATCH',
  'SLUICE_INVALID_JOB',
  'SLUICE_SAVEPOINT_INCOMPATIBLE',
]);

/** Why the running attempt ended, if not by finishing. */
export class AttemptFailure extends Error {
  constructor(
    readonly serialized: SerializedError,
    readonly location: FailureLocation = {},
  ) {
    super(serialized.message);
  }
}
