import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { ReducingStateDescriptor } from '../../state/state-descriptors';
import type { ReducingState } from '../../state/state-types';
import type {
  KeyedProcessFunction,
  KeySelector,
  ProcessContext,
  ReduceFunction,
  RuntimeContext,
} from '../functions';
import type { OperatorContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/** Base for operators on a keyed input: sets the current key before each record. */
abstract class KeyedOneInputOperator<OUT> extends StreamOperator<OUT> {
  protected state!: KeyedStateBackend;

  constructor(protected readonly keySelector: KeySelector<unknown, unknown>) {
    super();
  }

  override open(context: OperatorContext): void {
    if (!context.keyedState)
      throw new InvalidJobError(`operator '${context.operatorName}' needs a keyed input`);
    this.state = context.keyedState;
  }

  processElement(record: unknown): void {
    this.state.setCurrentKey(this.keySelector(record));
    this.processKeyed(record);
  }

  protected abstract processKeyed(record: unknown): void;
}

/** Rolling reduce per key: emits the new aggregate after every record (Flink's `reduce`). */
export class ReduceOperator<T> extends KeyedOneInputOperator<T> {
  private aggregate!: ReducingState<T>;

  constructor(
    keySelector: KeySelector<unknown, unknown>,
    private readonly fn: ReduceFunction<T>,
  ) {
    super(keySelector);
  }

  override open(context: OperatorContext): void {
    super.open(context);
    this.aggregate = this.state.getReducingState(new ReducingStateDescriptor('reduce', this.fn));
  }

  protected processKeyed(record: unknown): void {
    this.aggregate.add(record as T);
    this.output.collect(this.aggregate.get()!);
  }
}

export class KeyedProcessOperator<IN, OUT> extends KeyedOneInputOperator<OUT> {
  private context!: ProcessContext;
  private readonly processFn: (value: IN, ctx: ProcessContext, out: { collect(r: OUT): void }) => void;

  constructor(
    keySelector: KeySelector<unknown, unknown>,
    private readonly fn: KeyedProcessFunction<IN, OUT>,
  ) {
    super(keySelector);
    this.processFn = typeof fn === 'function' ? fn : fn.processElement.bind(fn);
  }

  override open(context: OperatorContext): void {
    super.open(context);
    this.context = processContext(context, this.state);
  }

  protected processKeyed(record: unknown): void {
    this.processFn(record as IN, this.context, this.output);
  }

  override finish(): void {
    if (typeof this.fn !== 'function') this.fn.onEndOfInput?.(this.output);
  }
}

/** A `ProcessContext` over an operator's runtime info and keyed state. */
export function processContext(
  context: OperatorContext,
  state: KeyedStateBackend | undefined,
): ProcessContext {
  const noState = (): never => {
    throw new InvalidJobError(
      `operator '${context.operatorName}' uses keyed state but its input is not keyed`,
    );
  };
  const runtime: RuntimeContext = {
    subtaskIndex: context.subtaskIndex,
    parallelism: context.parallelism,
    operatorName: context.operatorName,
    getCurrentKey: () => (state ? state.getCurrentKey() : noState()),
    getState: (d) => (state ? state.getState(d) : noState()),
    getListState: (d) => (state ? state.getListState(d) : noState()),
    getMapState: (d) => (state ? state.getMapState(d) : noState()),
    getReducingState: (d) => (state ? state.getReducingState(d) : noState()),
    getAggregatingState: (d) => (state ? state.getAggregatingState(d) : noState()),
  };
  return { ...runtime, getRuntimeContext: () => runtime };
}
