import { InvalidJobError } from '../errors';
import type { KeySelector } from './functions';
import type { PartitionerSpec } from './transformation';

/**
 * `partitionCustom`'s function (Flink's Partitioner): the partition — the consumer subtask,
 * `0 <= index < numPartitions` — that a record with `key` goes to.
 */
export type Partitioner<K> = (key: K, numPartitions: number) => number;

/** The edge of `partitionCustom(partitioner, keySelector)`, its arguments checked. */
export function customPartitionerSpec<T, K>(
  partitioner: Partitioner<K>,
  keySelector: KeySelector<T, K>,
): PartitionerSpec {
  if (typeof partitioner !== 'function')
    throw new InvalidJobError('partitionCustom() needs a partitioner function (key, numPartitions) => index');
  if (typeof keySelector !== 'function')
    throw new InvalidJobError('partitionCustom() needs a key selector function');
  return {
    kind: 'custom',
    partitioner: partitioner as Partitioner<unknown>,
    keySelector: keySelector as KeySelector<unknown, unknown>,
  };
}

/** Calls a custom partitioner and checks its answer: anything but a valid index fails the job clearly. */
export function customPartition(
  partitioner: Partitioner<unknown>,
  key: unknown,
  numPartitions: number,
): number {
  const index = partitioner(key, numPartitions);
  if (Number.isInteger(index) && index >= 0 && index < numPartitions) return index;
  throw new InvalidJobError(
    `partitionCustom: the partitioner returned ${describe(index)} for key ${describe(key)}, ` +
      `but a partition is an integer from 0 to ${numPartitions - 1} (${numPartitions} partitions)`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value); // NaN and Infinity, which JSON turns into null
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
