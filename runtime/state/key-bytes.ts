import { serializeKey } from '../graph/key-groups';
import { decodeValue } from './value-codec';

/**
 * A key as stored bytes that decode back to the key: a tag (0: UTF-8 string, 1: msgpack) and
 * the key's serialized form (the bytes its key group is hashed from).
 */
export const STRING_TAG = 0;
export const MSGPACK_TAG = 1;

export function keyTag(key: unknown): number {
  return typeof key === 'string' ? STRING_TAG : MSGPACK_TAG;
}

export function taggedKeyBytes(key: unknown): Buffer {
  const bytes = serializeKey(key);
  const tagged = Buffer.allocUnsafe(bytes.length + 1);
  tagged[0] = keyTag(key);
  bytes.copy(tagged, 1);
  return tagged;
}

export function decodeKey(tag: number, bytes: Uint8Array): unknown {
  return tag === STRING_TAG
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')
    : decodeValue(bytes);
}

/** Map state entries in the order of their tagged user key bytes (the kv store's order). */
export function sortByUserKey(pairs: [unknown, unknown][]): [unknown, unknown][] {
  const keyed = pairs.map((pair) => ({ pair, bytes: taggedKeyBytes(pair[0]) }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map(({ pair }) => [pair[0], pair[1]]);
}
