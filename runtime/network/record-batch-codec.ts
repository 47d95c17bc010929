import { Packr } from 'msgpackr';

/**
 * Records cross threads and sockets only as batches: msgpack of an array of records, copied
 * into an ArrayBuffer of its own so it can be transferred (not cloned) to another thread.
 * Plain msgpack (no record structures) so any process can decode any batch.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeBatch(records: readonly unknown[]): ArrayBuffer {
  const packed = packr.pack(records);
  const own = new ArrayBuffer(packed.length);
  new Uint8Array(own).set(packed);
  return own;
}

export function decodeBatch(buffer: ArrayBuffer | Uint8Array): unknown[] {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  return packr.unpack(bytes) as unknown[];
}
