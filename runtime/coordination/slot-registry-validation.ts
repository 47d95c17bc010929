import { CoordinationError } from '../errors';
import type { TaskManagerRecord } from './slot-registry';

/**
 * Argument checks shared by every SlotRegistry adapter, so they reject the same inputs with
 * the same (terminal) error before touching any state.
 */
export function assertValidLease(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) {
    throw new CoordinationError(`lease must be a positive integer number of ms, got ${leaseMs}`);
  }
}

export function assertValidTaskManagerRecord(record: TaskManagerRecord): void {
  if (record.id.length === 0) throw new CoordinationError('TaskManager id must not be empty');
  if (!Number.isSafeInteger(record.numberOfSlots) || record.numberOfSlots < 0) {
    throw new CoordinationError(
      `TaskManager ${record.id}: numberOfSlots must be a non-negative integer, got ${record.numberOfSlots}`,
    );
  }
}
