import { InvalidJobError } from '../errors';
import type {
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors';
import { copyOfDefault } from './state-descriptors';
import type { MapTable, ValueTable } from './keyed-state-backend';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-types';

/** The five kinds of keyed state, written once over the tables every backend provides. */

export function valueState<T>(table: ValueTable, descriptor: ValueStateDescriptor<T>): ValueState<T> {
  const { defaultValue } = descriptor;
  return {
    value: () => {
      const value = table.get() as T | undefined;
      return value === undefined && defaultValue !== undefined ? copyOfDefault(defaultValue) : value;
    },
    update: (value) => (value === undefined ? table.remove() : table.put(value)),
    clear: () => table.remove(),
  };
}

export function listState<T>(table: ValueTable): ListState<T> {
  const append = (values: readonly T[]): void => {
    if (values.length === 0) return;
    const list = table.get() as T[] | undefined;
    if (list) {
      for (const value of values) list.push(value);
      table.put(list);
    } else {
      table.put([...values]);
    }
  };
  return {
    get: () => ((table.get() as T[] | undefined) ?? []).slice(),
    add: (value) => append([value]),
    addAll: (values) => append(values),
    update: (values) => (values.length === 0 ? table.remove() : table.put([...values])),
    clear: () => table.remove(),
  };
}

export function mapState<UK, UV>(table: MapTable, name: string): MapState<UK, UV> {
  const userKey = (key: UK): UK => {
    if (key === null || key === undefined || typeof key === 'function' || typeof key === 'symbol')
      throw new InvalidJobError(`map state '${name}': a user key cannot be ${String(key)}`);
    return key;
  };
  return {
    get: (key) => table.get(userKey(key)) as UV | undefined,
    put: (key, value) => table.put(userKey(key), value),
    putAll: (entries) => {
      for (const [key, value] of entries) table.put(userKey(key), value);
    },
    remove: (key) => table.remove(userKey(key)),
    contains: (key) => table.has(userKey(key)),
    entries: () => table.entries() as [UK, UV][],
    keys: () => table.entries().map(([key]) => key as UK),
    values: () => table.entries().map(([, value]) => value as UV),
    isEmpty: () => table.isEmpty(),
    clear: () => table.clear(),
  };
}

export function reducingState<T>(
  table: ValueTable,
  descriptor: ReducingStateDescriptor<T>,
): ReducingState<T> {
  const reduce = descriptor.reduceFunction;
  return {
    get: () => table.get() as T | undefined,
    add: (value) => {
      const current = table.get() as T | undefined;
      table.put(current === undefined ? value : reduce(current, value));
    },
    clear: () => table.remove(),
  };
}

export function aggregatingState<IN, ACC, OUT>(
  table: ValueTable,
  descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
): AggregatingState<IN, OUT> {
  const fn = descriptor.aggregateFunction;
  return {
    get: () => {
      const accumulator = table.get() as ACC | undefined;
      return accumulator === undefined ? undefined : fn.getResult(accumulator);
    },
    add: (value) => {
      const accumulator = (table.get() as ACC | undefined) ?? fn.createAccumulator();
      table.put(fn.add(value, accumulator));
    },
    clear: () => table.remove(),
  };
}
