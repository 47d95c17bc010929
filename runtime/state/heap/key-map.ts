import { hashKey, serializeKey } from '../../graph/key-groups';
import { murmur3 } from '../../graph/murmur3';
import { RecentSpellings } from '../../util/recent-spellings';

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

/** A leading char no serialized object starts with (msgpack arrays, maps, bins and exts never begin with 0x01). */
const NUMBERS_TAG = '\u0001';

/**
 * A map state's user key as a heap map sees it (no hash needed): like `normalizeKey`, but an
 * array of numbers (a window, a timer) is spelled out instead of serialized. Numbers that
 * serialize alike (0 and -0) spell alike, so equal keys stay one key.
 */
export function normalizeUserKey(key: unknown): { norm: unknown; isObject: boolean } {
  if (typeof key !== 'object') return { norm: key, isObject: false };
  if (Array.isArray(key)) {
    const spelled = Object.isFrozen(key) ? spellFrozen(key) : spellNumbers(key);
    if (spelled !== undefined) return { norm: NUMBERS_TAG + spelled, isObject: true };
  }
  return { norm: serializeKey(key).toString('latin1'), isObject: true };
}

/** Spellings of recent frozen arrays of numbers (window ids), so a window's get and put spell it once. */
const recent = new RecentSpellings();

function spellFrozen(array: readonly unknown[]): string | undefined {
  const known = recent.get(array);
  if (known !== undefined) return known;
  const spelled = spellNumbers(array);
  // Only flat arrays: a frozen array may hold arrays that are not frozen themselves.
  if (spelled !== undefined && array.every((item) => typeof item === 'number')) recent.set(array, spelled);
  return spelled;
}

/**
 * An array of numbers and arrays of numbers (windows, timers of number keys) spelled out:
 * "1,5,[0,10]"; undefined for anything else. Numbers hold no brackets or commas, so the
 * spelling is unambiguous.
 */
function spellNumbers(array: readonly unknown[]): string | undefined {
  if (array.length === 2 && typeof array[0] === 'number' && typeof array[1] === 'number')
    return `${array[0]},${array[1]}`;
  let out = '';
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    let part: string | undefined;
    if (typeof item === 'number') part = String(item);
    else if (Array.isArray(item)) {
      const inner = spellNumbers(item);
      part = inner === undefined ? undefined : `[${inner}]`;
    }
    if (part === undefined) return undefined;
    out = i === 0 ? part : `${out},${part}`;
  }
  return out;
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

  forEach(fn: (value: V) => void): void {
    this.plain.forEach((v) => fn(v));
    this.objects?.forEach((v) => fn(v));
  }

  /** The values (no generator: snapshots walk millions of them). */
  values(): IterableIterator<V> {
    if (!this.objects || this.objects.size === 0) return this.plain.values();
    return [...this.plain.values(), ...this.objects.values()].values();
  }
}
