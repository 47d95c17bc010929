import { Packr } from 'msgpackr';
import { murmur3, murmur3Ascii } from './murmur3';

/**
 * Keys map to key groups, key groups to subtasks (docs/architecture.md §3, Flink's KeyGroupRangeAssignment):
 *   keyGroup = murmur3(serialized key) % maxParallelism
 *   subtask  = floor(keyGroup * parallelism / maxParallelism)
 * A string key serializes to its UTF-8 bytes; any other key to its msgpack bytes, with object
 * properties in sorted order so that equal keys built in another property order are one key
 * (same bytes, same key group, same state). State is stored by key group, so it can be
 * redistributed when the parallelism changes.
 */
let scratch = Buffer.allocUnsafe(256);

/** Self-contained, deterministic msgpack (no shared record structures). */
const keyPackr = new Packr({ useRecords: false });

export function serializeKey(key: unknown): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : keyPackr.pack(canonicalKey(key));
}

/** The key with every object's properties in sorted order (arrays and primitives as they are). */
function canonicalKey(key: unknown): unknown {
  if (Array.isArray(key)) return key.some(isPlainObjectOrArray) ? key.map(canonicalKey) : key;
  if (key === null || typeof key !== 'object') return key;
  const sorted: Record<string, unknown> = {};
  for (const name of Object.keys(key).sort())
    sorted[name] = canonicalKey((key as Record<string, unknown>)[name]);
  return sorted;
}

function isPlainObjectOrArray(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

export function hashKey(key: unknown): number {
  if (typeof key === 'string') {
    const ascii = murmur3Ascii(key);
    if (ascii >= 0) return ascii;
    // Otherwise encode into a reusable buffer (no allocation per key).
    if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
    const length = scratch.write(key, 0, 'utf8');
    return murmur3(scratch, length);
  }
  return murmur3(serializeKey(key));
}

export function keyGroupForKey(key: unknown, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

export function subtaskForKeyGroup(keyGroup: number, parallelism: number, maxParallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function subtaskForKey(key: unknown, parallelism: number, maxParallelism: number): number {
  return subtaskForKeyGroup(keyGroupForKey(key, maxParallelism), parallelism, maxParallelism);
}

/** Inclusive range of key groups owned by one subtask. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

export function keyGroupRangeForSubtask(
  maxParallelism: number,
  parallelism: number,
  subtask: number,
): KeyGroupRange {
  return {
    start: Math.ceil((subtask * maxParallelism) / parallelism),
    end: Math.ceil(((subtask + 1) * maxParallelism) / parallelism) - 1,
  };
}
