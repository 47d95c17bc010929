import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { ReducingStateDescriptor } from '../../state/state-descriptors';
import type { ReducingState } from '../../state/state-types';
import type {
  KeyedProcessFunction,
  KeySelector,
  OnTimerContext,
  ProcessContext,
  ReduceFunction,
  TimeDomain,
  TimerService,
} from '../functions';
import { FunctionLifecycle, runtimeContext } from './function-lifecycle';
import { InternalTimerService } from './internal-timer-service';
import { outputTagId } from '../output-tag';
import type { OperatorContext, SideOutput, StateInitializationContext } from './stream-operator';
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

/** `keyBy(...).process(fn)`, with timers of the current key (fired into `fn.onTimer`). */
export class KeyedProcessOperator<IN, OUT> extends KeyedOneInputOperator<OUT> {
  private context!: ProcessContext;
  private timerContext!: OnTimerContext;
  private timers!: InternalTimerService<null>;
  private firing: TimeDomain = 'event-time';
  private restored = false;
  private readonly processFn: (value: IN, ctx: ProcessContext, out: { collect(r: OUT): void }) => void;
  private readonly lifecycle: FunctionLifecycle;

  constructor(
    keySelector: KeySelector<unknown, unknown>,
    private readonly fn: KeyedProcessFunction<IN, OUT>,
  ) {
    super(keySelector);
    this.processFn = typeof fn === 'function' ? fn : fn.processElement.bind(fn);
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
  }

  override async open(context: OperatorContext): Promise<void> {
    super.open(context);
    this.timers = new InternalTimerService<null>(
      'process',
      this.state,
      context.processingTime,
      (t) => this.onTimer(t.timestamp, 'event-time', context),
      (t) => this.onTimer(t.timestamp, 'processing-time', context),
    );
    if (this.restored) this.timers.restoreTimers();
    this.context = processContext(context, this.sideOutput, this.state, keyedTimerService(this.timers));
    this.timerContext = { ...this.context, timeDomain: () => this.firing };
    await this.lifecycle.open(this.context.getRuntimeContext());
  }

  protected processKeyed(record: unknown): void {
    this.processFn(record as IN, this.context, this.output);
  }

  override processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  override finish(): void {
    if (typeof this.fn !== 'function') this.fn.onEndOfInput?.(this.output);
  }

  override close(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  private onTimer(timestamp: number, domain: TimeDomain, context: OperatorContext): void {
    if (typeof this.fn === 'function' || !this.fn.onTimer)
      throw new InvalidJobError(
        `operator '${context.operatorName}' registered a timer but its process function has no onTimer`,
      );
    this.firing = domain;
    context.recordTimestamp.value = timestamp;
    this.fn.onTimer(timestamp, this.timerContext, this.output);
  }
}

/** The user's view of a keyed operator's timers: namespace-free, for the current key. */
export function keyedTimerService(timers: InternalTimerService<null>): TimerService {
  return {
    currentProcessingTime: () => timers.currentProcessingTime(),
    currentWatermark: () => timers.currentWatermark(),
    registerEventTimeTimer: (t) => timers.registerEventTimeTimer(null, checkTime(t)),
    registerProcessingTimeTimer: (t) => timers.registerProcessingTimeTimer(null, checkTime(t)),
    deleteEventTimeTimer: (t) => timers.deleteEventTimeTimer(null, t),
    deleteProcessingTimeTimer: (t) => timers.deleteProcessingTimeTimer(null, t),
  };
}

function checkTime(time: number): number {
  if (typeof time !== 'number' || !Number.isFinite(time))
    throw new InvalidJobError(`a timer needs a finite time in ms, got ${String(time)}`);
  return time;
}

/** A `ProcessContext` over an operator's runtime info, side outputs and keyed state. */
export function processContext(
  context: OperatorContext,
  side: SideOutput,
  state: KeyedStateBackend | undefined,
  timers?: TimerService,
): ProcessContext {
  const runtime = runtimeContext(context, state);
  return {
    ...runtime,
    getRuntimeContext: () => runtime,
    timestamp: () => context.recordTimestamp.value,
    output: (tag, value) => side.emit(outputTagId(tag, 'ctx.output()'), value),
    timerService: () => {
      if (timers) return timers;
      throw new InvalidJobError(
        `operator '${context.operatorName}' uses timers, which only keyBy(...).process(...) has`,
      );
    },
  };
}
