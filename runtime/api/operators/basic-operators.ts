import type {
  FilterFunction,
  FlatMapFunction,
  KeySelector,
  MapFunction,
  ProcessContext,
  ProcessFunction,
} from '../functions';
import type { RichFilterFunction, RichFlatMapFunction, RichMapFunction } from '../rich-functions';
import { FunctionLifecycle, runtimeContext } from './function-lifecycle';
import { processContext } from './keyed-operators';
import type { OperatorContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/**
 * An operator around one user function that may be a rich function (`open` / `close`). With a
 * key selector (a rich function on a keyed stream) it has keyed state: the current key is set
 * before each record, so state registered in `open` belongs to the record's key.
 */
abstract class UserFunctionOperator<OUT> extends StreamOperator<OUT> {
  private readonly lifecycle: FunctionLifecycle;
  private setKey: ((record: unknown) => void) | undefined;

  constructor(
    fn: unknown,
    private readonly keySelector?: KeySelector<unknown, unknown>,
  ) {
    super();
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override async open(context: OperatorContext): Promise<void> {
    const state = this.keySelector ? context.keyedState : undefined;
    const selector = this.keySelector;
    if (state && selector) this.setKey = (r) => state.setCurrentKey(selector(r));
    await this.lifecycle.open(runtimeContext(context, state));
  }

  processElement(record: unknown): void {
    this.setKey?.(record);
    this.process(record);
  }

  protected abstract process(record: unknown): void;

  override close(): Promise<void> {
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    return this.lifecycle.close();
  }
}

export class MapOperator<IN, OUT> extends UserFunctionOperator<OUT> {
  private readonly fn: MapFunction<IN, OUT>;

  constructor(
    fn: MapFunction<IN, OUT> | RichMapFunction<IN, OUT>,
    keySelector?: KeySelector<unknown, unknown>,
  ) {
    super(fn, keySelector);
    this.fn = typeof fn === 'function' ? fn : fn.map.bind(fn);
  }
  protected process(record: unknown): void {
    this.output.collect(this.fn(record as IN));
  }
}

export class FlatMapOperator<IN, OUT> extends UserFunctionOperator<OUT> {
  private readonly fn: FlatMapFunction<IN, OUT>;

  constructor(
    fn: FlatMapFunction<IN, OUT> | RichFlatMapFunction<IN, OUT>,
    keySelector?: KeySelector<unknown, unknown>,
  ) {
    super(fn, keySelector);
    this.fn = typeof fn === 'function' ? fn : fn.flatMap.bind(fn);
  }
  protected process(record: unknown): void {
    this.fn(record as IN, this.output);
  }
}

export class FilterOperator<T> extends UserFunctionOperator<T> {
  private readonly fn: FilterFunction<T>;

  constructor(fn: FilterFunction<T> | RichFilterFunction<T>, keySelector?: KeySelector<unknown, unknown>) {
    super(fn, keySelector);
    this.fn = typeof fn === 'function' ? fn : fn.filter.bind(fn);
  }
  protected process(record: unknown): void {
    if (this.fn(record as T)) this.output.collect(record as T);
  }
}

/** Forwards records unchanged: the target of `union` edges that need an operator of their own. */
export class IdentityOperator<T> extends StreamOperator<T> {
  processElement(record: unknown): void {
    this.output.collect(record as T);
  }
}

/** `process` on a non-keyed stream: the function gets a context with the timestamp and side outputs. */
export class ProcessOperator<IN, OUT> extends StreamOperator<OUT> {
  private context!: ProcessContext;
  private readonly processFn: (value: IN, ctx: ProcessContext, out: { collect(r: OUT): void }) => void;
  private readonly lifecycle: FunctionLifecycle;

  constructor(private readonly fn: ProcessFunction<IN, OUT>) {
    super();
    this.processFn = typeof fn === 'function' ? fn : fn.processElement.bind(fn);
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override async open(context: OperatorContext): Promise<void> {
    this.context = processContext(context, this.sideOutput, undefined);
    await this.lifecycle.open(this.context.getRuntimeContext());
  }

  processElement(record: unknown): void {
    this.processFn(record as IN, this.context, this.output);
  }

  override finish(): void {
    if (typeof this.fn !== 'function') this.fn.onEndOfInput?.(this.output);
  }

  override close(): Promise<void> {
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    return this.lifecycle.close();
  }
}
