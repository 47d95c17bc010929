import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import type { RuntimeContext, RuntimeInfo } from '../functions';
import type { RichFunction } from '../rich-functions';

/**
 * Opens and closes an operator's user functions that are objects with `open` / `close` (Flink's
 * FunctionUtils.openFunction / closeFunction). Operators call `open` at the end of their own
 * `open`, and `close` from both `close` (end of input) and `dispose` (cancel, failure): each
 * function that was opened is closed exactly once.
 */
export class FunctionLifecycle {
  private opened: RichFunction[] = [];

  constructor(private readonly functions: readonly unknown[]) {}

  async open(ctx: RuntimeContext): Promise<void> {
    for (const fn of this.functions) {
      if (!isRichFunction(fn)) continue;
      // Closed even when its own open throws: it may have acquired something before failing.
      this.opened.push(fn);
      if (typeof fn.open === 'function') await fn.open(ctx);
    }
  }

  /** Closes every opened function, in reverse order; throws the first failure after trying all. */
  async close(): Promise<void> {
    const opened = this.opened.reverse();
    this.opened = [];
    let failure: { err: unknown } | undefined;
    for (const fn of opened) {
      try {
        if (typeof fn.close === 'function') await fn.close();
      } catch (err) {
        failure ??= { err };
      }
    }
    if (failure) throw failure.err;
  }
}

function isRichFunction(fn: unknown): fn is RichFunction {
  if (fn === null || typeof fn !== 'object') return false;
  const { open, close } = fn as RichFunction;
  return typeof open === 'function' || typeof close === 'function';
}

/** True for a function object with `open`: it may register keyed state there. */
export function hasOpen(fn: unknown): boolean {
  return fn !== null && typeof fn === 'object' && typeof (fn as RichFunction).open === 'function';
}

/**
 * Checks what `map`, `flatMap` or `filter` got: a function, or an object with the method of
 * that name (a rich function). Returns it for chaining.
 */
export function checkUserFunction<F>(fn: F, method: 'map' | 'flatMap' | 'filter'): F {
  if (typeof fn === 'function') return fn;
  if (fn !== null && typeof fn === 'object' && typeof (fn as Record<string, unknown>)[method] === 'function')
    return fn;
  throw new InvalidJobError(`${method}() needs a function or an object with a ${method}() method`);
}

/** The task info of an operator, as its functions see it. */
export function runtimeInfo(context: RuntimeInfo): RuntimeInfo {
  return {
    subtaskIndex: context.subtaskIndex,
    parallelism: context.parallelism,
    operatorName: context.operatorName,
    maxParallelism: context.maxParallelism,
    taskName: context.taskName,
    attemptNumber: context.attemptNumber,
    jobParameters: context.jobParameters,
  };
}

/**
 * The RuntimeContext of an operator (task info and keyed state), which `open` and process
 * functions get. Keyed state on a non-keyed input fails with an error naming the operator.
 */
export function runtimeContext(context: RuntimeInfo, state: KeyedStateBackend | undefined): RuntimeContext {
  const noState = (): never => {
    throw new InvalidJobError(
      `operator '${context.operatorName}' uses keyed state but its input is not keyed`,
    );
  };
  return {
    ...runtimeInfo(context),
    getCurrentKey: () => (state ? state.getCurrentKey() : noState()),
    getState: (d) => (state ? state.getState(d) : noState()),
    getListState: (d) => (state ? state.getListState(d) : noState()),
    getMapState: (d) => (state ? state.getMapState(d) : noState()),
    getReducingState: (d) => (state ? state.getReducingState(d) : noState()),
    getAggregatingState: (d) => (state ? state.getAggregatingState(d) : noState()),
  };
}
