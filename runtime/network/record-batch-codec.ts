import { Packr } from 'msgpackr';

/**
 * Records cross threads and sockets only as batches: msgpack of an array of records, copied
 * into an ArrayBuffer of its own so it can be transferred (not cloned) to another thread.
 * Plain msgpack (no record structures) so any process can decode any batch.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Records with timestamps (Flink's StreamRecord timestamp) are packed with a parallel array of
 * them, `null` for a record without one; a batch without any timestamp stays a plain array.
 */
export function encodeBatch(
  records: readonly unknown[],
  timestamps?: readonly (number | null)[],
): ArrayBuffer {
  const packed = packr.pack(timestamps ? { r: records, t: timestamps } : records);
  const own = new ArrayBuffer(packed.length);
  new Uint8Array(own).set(packed);
  return own;
}

export function decodeBatch(buffer: ArrayBuffer | Uint8Array): unknown[] {
  return decodeTimestampedBatch(buffer).records;
}

export interface DecodedBatch {
  readonly records: unknown[];
  readonly timestamps?: (number | null)[];
}

export function decodeTimestampedBatch(buffer: ArrayBuffer | Uint8Array): DecodedBatch {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const batch = packr.unpack(bytes) as unknown[] | { r: unknown[]; t: (number | null)[] };
  return Array.isArray(batch) ? { records: batch } : { records: batch.r, timestamps: batch.t };
}
