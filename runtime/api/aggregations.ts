/*
 * The rolling aggregations of a keyed stream by Flink's rules (its ComparableAggregator): as
 * reduce functions, so the aggregate is keyed ReducingState — checkpointed, restored and
 * rescaled by key group like any `reduce`.
 */

import { InvalidJobError } from '../errors';
import type { ReduceFunction } from './functions';

/** What is compared: a tuple position (arrays), an object field name, or nothing (records are values). */
export type AggregationField = number | string | undefined;

/**
 * Values `min`/`max` compare: numbers, bigints or strings (by code unit), one kind per field
 * (state holds plain data; a time is compared as its epoch ms).
 */
export type Comparable = number | bigint | string;

type Extremum = 'min' | 'max';

/**
 * `min` / `max`: the aggregate keeps the key's first record and only its field changes to the
 * smallest (largest) value seen so far.
 */
export function extremumReducer<T>(kind: Extremum, field: AggregationField): ReduceFunction<T> {
  const what = describe(kind, field);
  const get = fieldGetter(field, what);
  return (acc, value) => {
    const candidate = get(value);
    return better(kind, candidate, get(acc), what) ? withField(acc, field, candidate) : acc;
  };
}

/**
 * `minBy` / `maxBy`: the aggregate is the whole record with the smallest (largest) value; on a
 * tie it stays the earlier record when `first`, else becomes the later one.
 */
export function extremumByReducer<T>(
  kind: Extremum,
  by: AggregationField | ((value: T) => Comparable),
  first: boolean,
): ReduceFunction<T> {
  if (typeof first !== 'boolean')
    throw new InvalidJobError(`${kind}By: 'first' must be true or false, got ${String(first)}`);
  const what = `${kind}By(${typeof by === 'function' ? 'selector' : String(by ?? '')})`;
  const get = typeof by === 'function' ? (by as (v: unknown) => unknown) : fieldGetter(by, what);
  return (acc, value) => {
    const [a, b] = [get(acc), get(value)];
    if (better(kind, b, a, what)) return value;
    return !first && compare(a, b, what) === 0 ? value : acc;
  };
}

/** The operator's name, e.g. `Min(price)`. */
export function aggregationName(
  operation: string,
  by: AggregationField | ((value: never) => unknown),
): string {
  if (by === undefined) return operation;
  return `${operation}(${typeof by === 'function' ? 'selector' : String(by)})`;
}

function describe(kind: string, field: AggregationField): string {
  return `${kind}(${field === undefined ? '' : String(field)})`;
}

function fieldGetter(field: AggregationField, what: string): (record: unknown) => unknown {
  if (field === undefined) return (r) => r;
  if (typeof field === 'number') {
    if (!Number.isInteger(field) || field < 0)
      throw new InvalidJobError(`${what}: a tuple position is an integer >= 0`);
    return (r) => {
      if (!Array.isArray(r))
        throw new InvalidJobError(`${what}: records must be tuples (arrays), got ${typeOf(r)}`);
      return r[field] as unknown;
    };
  }
  if (typeof field !== 'string' || field === '')
    throw new InvalidJobError(`${what}: the field is a tuple position, a field name or a selector function`);
  return (r) => {
    if (r === null || typeof r !== 'object')
      throw new InvalidJobError(`${what}: records must be objects, got ${typeOf(r)}`);
    return (r as Record<string, unknown>)[field];
  };
}

function withField<T>(record: T, field: AggregationField, value: unknown): T {
  if (field === undefined) return value as T;
  // A copy: the record may be the previous output, which downstream operators may hold.
  if (typeof field === 'number') {
    const copy = (record as unknown[]).slice();
    copy[field] = value;
    return copy as T;
  }
  return { ...(record as Record<string, unknown>), [field]: value } as T;
}

function better(kind: Extremum, candidate: unknown, current: unknown, what: string): boolean {
  const c = compare(candidate, current, what);
  return kind === 'min' ? c < 0 : c > 0;
}

/** Compares two values of the same comparable kind; anything else is an error naming the field. */
function compare(a: unknown, b: unknown, what: string): number {
  const ta = kindOf(a);
  if (ta === undefined || ta !== kindOf(b))
    throw new InvalidJobError(
      `${what}: compares numbers, bigints or strings of one kind, got ${typeOf(a)} and ${typeOf(b)}`,
    );
  const [x, y] = [a as number, b as number];
  return x < y ? -1 : x > y ? 1 : 0;
}

function kindOf(v: unknown): 'number' | 'bigint' | 'string' | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : 'number';
  if (typeof v === 'bigint' || typeof v === 'string') return typeof v as 'bigint' | 'string';
  return undefined;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a Date';
  return typeof v === 'number' && Number.isNaN(v) ? 'NaN' : typeof v;
}

/** `sum(field?)`: adds the field (a tuple position or an object field; the value itself when absent). */
export function sumReducer<T>(field: number | string | undefined): ReduceFunction<T> {
  if (field === undefined) return ((a: number, b: number) => a + b) as unknown as ReduceFunction<T>;
  if (typeof field === 'number') {
    return ((a: unknown[], b: unknown[]) => {
      const out = a.slice();
      out[field] = (a[field] as number) + (b[field] as number);
      return out;
    }) as unknown as ReduceFunction<T>;
  }
  return ((a: Record<string, number>, b: Record<string, number>) => ({
    ...a,
    [field]: (a[field] as number) + (b[field] as number),
  })) as unknown as ReduceFunction<T>;
}
