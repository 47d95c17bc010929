import { InvalidJobError } from '../../errors';
import type { HeapBroadcastState } from '../../state/broadcast-state';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import type { MapStateDescriptor, StateDescriptor } from '../../state/state-descriptors';
import type { BroadcastState, ReadOnlyBroadcastState } from '../../state/state-types';
import type {
  BroadcastBaseContext,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastProcessFunction,
  ReadOnlyBroadcastContext,
} from '../broadcast-functions';
import { NO_WATERMARK } from '../event-time/watermark-strategy';
import type { KeySelector, TimeDomain } from '../functions';
import { outputTagId } from '../output-tag';
import { FunctionLifecycle, runtimeInfo } from './function-lifecycle';
import { InternalTimerService } from './internal-timer-service';
import { keyedTimerService, processContext } from './keyed-operators';
import type { OperatorContext, StateInitializationContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/** The input of a broadcast connected stream that carries the broadcast records. */
export const BROADCAST_INPUT = 1;

/**
 * `dataStream.connect(broadcastStream).process(fn)` and, on a keyed stream,
 * `keyedStream.connect(broadcastStream).process(fn)` (Flink's CoBroadcastWithNonKeyedOperator
 * and CoBroadcastWithKeyedOperator). Input 0 is the data stream: `processElement` sees the
 * broadcast states read-only (and, keyed, keyed state and timers of the record's key). Input 1
 * is the broadcast stream, which every subtask receives whole: `processBroadcastElement` sees
 * the broadcast states read-write. The broadcast states are operator state in `broadcast`
 * mode: snapshotted by every subtask, and each subtask of a restore at any parallelism gets
 * one copy whole.
 */
export class BroadcastProcessOperator<IN1, IN2, OUT> extends StreamOperator<OUT> {
  private readonly states = new Map<string, HeapBroadcastState<unknown, unknown>>();
  private readonly lifecycle: FunctionLifecycle;
  private elementContext!: ReadOnlyBroadcastContext;
  private broadcastContext!: KeyedBroadcastContext<unknown>;
  private timerContext!: KeyedBroadcastOnTimerContext<unknown>;
  private timers: InternalTimerService<null> | undefined;
  private keyed: KeyedStateBackend | undefined;
  private firing: TimeDomain = 'event-time';
  private watermark = NO_WATERMARK;
  private restored = false;

  constructor(
    private readonly fn: KeyedBroadcastProcessFunction<unknown, IN1, IN2, OUT>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
    private readonly keySelector?: KeySelector<unknown, unknown>,
  ) {
    super();
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
    for (const d of this.descriptors) {
      const state = context.operatorStateBackend.getBroadcastState(d);
      this.states.set(d.name, state as HeapBroadcastState<unknown, unknown>);
    }
  }

  override async open(context: OperatorContext): Promise<void> {
    if (this.keySelector) {
      if (!context.keyedState)
        throw new InvalidJobError(`operator '${context.operatorName}' needs a keyed input`);
      const state = (this.keyed = context.keyedState);
      this.timers = new InternalTimerService<null>(
        'broadcastProcess',
        state,
        context.processingTime,
        (t) => this.onTimer(t.timestamp, 'event-time', context),
        (t) => this.onTimer(t.timestamp, 'processing-time', context),
      );
      if (this.restored) this.timers.restoreTimers();
    }
    const base = this.baseContext(context);
    const timerService = this.timers ? keyedTimerService(this.timers) : undefined;
    const process = processContext(context, this.sideOutput, this.keyed, timerService);
    this.elementContext = {
      ...process,
      ...base,
      getBroadcastState: (d) => this.broadcastState(d, context).readOnly(),
    } as ReadOnlyBroadcastContext;
    this.broadcastContext = {
      ...base,
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) =>
        this.broadcastState(d, context) as unknown as BroadcastState<K, V>,
      applyToKeyedState: (d: StateDescriptor, fn: (key: unknown, state: never) => void) => {
        if (!this.keyed)
          throw new InvalidJobError(
            `operator '${context.operatorName}' uses applyToKeyedState, which only a keyed stream connected to a broadcast stream has`,
          );
        this.keyed.applyToAllKeys(d, fn);
      },
    };
    this.timerContext = { ...this.elementContext, timeDomain: () => this.firing };
    await this.lifecycle.open(process.getRuntimeContext());
  }

  processElement(record: unknown, input: number): void {
    if (input === BROADCAST_INPUT) {
      this.fn.processBroadcastElement(record as IN2, this.broadcastContext, this.output);
      return;
    }
    if (this.keyed) this.keyed.setCurrentKey(this.keySelector!(record));
    this.fn.processElement(record as IN1, this.elementContext, this.output);
  }

  override processWatermark(timestamp: number): void {
    this.watermark = timestamp;
    this.timers?.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  override finish(): void {
    this.fn.onEndOfInput?.(this.output);
  }

  override close(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  private baseContext(context: OperatorContext): BroadcastBaseContext {
    return {
      ...runtimeInfo(context),
      timestamp: () => context.recordTimestamp.value,
      output: (tag, value) => this.sideOutput.emit(outputTagId(tag, 'ctx.output()'), value),
      currentProcessingTime: () => context.processingTime.now(),
      currentWatermark: () => this.watermark,
    };
  }

  /** A broadcast state by descriptor; only those named in `broadcast(...)` exist. */
  private broadcastState<K, V>(
    descriptor: MapStateDescriptor<K, V>,
    context: OperatorContext,
  ): HeapBroadcastState<K, V> & { readOnly(): ReadOnlyBroadcastState<K, V> } {
    const state = this.states.get(descriptor?.name);
    if (!state) {
      const declared = [...this.states.keys()].map((n) => `'${n}'`).join(', ');
      throw new InvalidJobError(
        `operator '${context.operatorName}': no broadcast state '${String(descriptor?.name)}'; ` +
          `the broadcast stream declares ${declared || 'none'} (pass its descriptor to broadcast(...))`,
      );
    }
    return state as unknown as HeapBroadcastState<K, V>;
  }

  private onTimer(timestamp: number, domain: TimeDomain, context: OperatorContext): void {
    if (!this.fn.onTimer)
      throw new InvalidJobError(
        `operator '${context.operatorName}' registered a timer but its broadcast process function has no onTimer`,
      );
    this.firing = domain;
    context.recordTimestamp.value = timestamp;
    this.fn.onTimer(timestamp, this.timerContext, this.output);
  }
}
