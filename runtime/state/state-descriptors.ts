import { InvalidJobError } from '../errors';
import type { AggregateFunction } from './state-types';

/** The kinds of state, as stored in snapshots. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** Names a state and its kind; registering the same name twice must give the same kind. */
export abstract class StateDescriptor {
  abstract readonly kind: StateKind;

  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidJobError(`a state descriptor needs a non-empty name, got ${JSON.stringify(name)}`);
  }
}

export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value';

  /** `defaultValue` is what `value()` returns for a key without a value (a copy of it). */
  constructor(
    name: string,
    readonly defaultValue?: T,
  ) {
    super(name);
  }
}

export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list';
  declare readonly elementType?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map';
  declare readonly entryType?: [UK, UV];
}

export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'reducing';

  constructor(
    name: string,
    readonly reduceFunction: (accumulated: T, value: T) => T,
  ) {
    super(name);
    if (typeof reduceFunction !== 'function')
      throw new InvalidJobError(`reducing state '${name}' needs a reduce function`);
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = 'aggregating';

  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
    const fn = aggregateFunction as Partial<AggregateFunction<IN, ACC, OUT>> | undefined;
    if (
      typeof fn?.createAccumulator !== 'function' ||
      typeof fn.add !== 'function' ||
      typeof fn.getResult !== 'function'
    )
      throw new InvalidJobError(
        `aggregating state '${name}' needs an aggregate function with createAccumulator, add and getResult`,
      );
  }
}

/** A copy of a default value, so one key's changes never leak into another's default. */
export function copyOfDefault<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

/**
 * Names of the keyed states that hold an operator's timers (see InternalTimerService): they are
 * snapshotted like any keyed state, and tools show them as timers, not as user state.
 */
export const TIMER_STATE_PREFIX = '_timers/';
