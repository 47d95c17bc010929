import { hashKey, serializeKey } from '../../graph/key-groups';
import { murmur3 } from '../../graph/murmur3';

/**
 * A key as a heap map sees it: strings, numbers, booleans and bigints as they are (a Map tells
 * 1 from '1'); arrays and objects by their serialized bytes, so equal content is one key.
 */
export interface NormalizedKey {
  readonly norm: unknown;
  readonly isObject: boolean;
  readonly hash: number;
}

/** Serializes a key at most once: its identity in a map and its hash (for the key group). */
export function normalizeKey(key: unknown): NormalizedKey {
  if (typeof key === 'string') return { norm: key, isObject: false, hash: hashKey(key) };
  const bytes = serializeKey(key);
  const isObject = typeof key === 'object';
  return { norm: isObject ? bytes.toString('latin1') : key, isObject, hash: murmur3(bytes) };
}

/** A map from normalized keys, with objects' serialized forms kept apart from string keys. */
export class KeyMap<V> {
  private readonly plain = new Map<unknown, V>();
  private objects: Map<unknown, V> | undefined;

  get(norm: unknown, isObject: boolean): V | undefined {
    return isObject ? this.objects?.get(norm) : this.plain.get(norm);
  }

  set(norm: unknown, isObject: boolean, value: V): void {
    if (isObject) (this.objects ??= new Map()).set(norm, value);
    else this.plain.set(norm, value);
  }

  delete(norm: unknown, isObject: boolean): void {
    if (isObject) this.objects?.delete(norm);
    else this.plain.delete(norm);
  }

  get size(): number {
    return this.plain.size + (this.objects?.size ?? 0);
  }

  *values(): Generator<V> {
    yield* this.plain.values();
    if (this.objects) yield* this.objects.values();
  }
}
