import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import type { OperatorStateBackend } from '../../state/operator-state-backend';
import type { KeySelector, OnTimerContext, ProcessContext, TimeDomain } from '../functions';
import type { KeyedCoProcessFunction } from '../two-input-functions';
import { InternalTimerService } from './internal-timer-service';
import { SelectedInputs } from './input-selection';
import { keyedTimerService, processContext } from './keyed-operators';
import type { OperatorContext, StateInitializationContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

type KeySelectors = readonly [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>];

/**
 * `connect(other).process(fn)` and, with key selectors, `connect(other).keyBy(k1, k2).process(fn)`
 * (Flink's CoProcessOperator and KeyedCoProcessOperator): `processElement1`/`processElement2`
 * per record with side outputs; keyed, also keyed state shared by both inputs and timers of the
 * current key fired into `onTimer`. A function with `nextSelection()` chooses which input it
 * reads (see SelectedInputs).
 */
export class CoProcessOperator<IN1, IN2, OUT> extends StreamOperator<OUT> {
  private context!: ProcessContext;
  private timerContext!: OnTimerContext;
  private timers: InternalTimerService<null> | undefined;
  private state: KeyedStateBackend | undefined;
  private selection: SelectedInputs | undefined;
  private firing: TimeDomain = 'event-time';
  private restored = false;
  private operatorState!: OperatorStateBackend;
  private recordTimestamp!: OperatorContext['recordTimestamp'];

  constructor(
    private readonly fn: KeyedCoProcessFunction<unknown, IN1, IN2, OUT>,
    private readonly keySelectors?: KeySelectors,
  ) {
    super();
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
    this.operatorState = context.operatorStateBackend;
  }

  override open(context: OperatorContext): void {
    this.recordTimestamp = context.recordTimestamp;
    if (this.keySelectors) {
      if (!context.keyedState)
        throw new InvalidJobError(`operator '${context.operatorName}' needs keyed inputs`);
      const state = (this.state = context.keyedState);
      this.timers = new InternalTimerService<null>(
        'coProcess',
        state,
        context.processingTime,
        (t) => this.onTimer(t.timestamp, 'event-time', context),
        (t) => this.onTimer(t.timestamp, 'processing-time', context),
      );
      if (this.restored) this.timers.restoreTimers();
    }
    const timerService = this.timers ? keyedTimerService(this.timers) : undefined;
    this.context = processContext(context, this.sideOutput, this.state, timerService);
    this.timerContext = { ...this.context, timeDomain: () => this.firing };
    if (typeof this.fn.nextSelection === 'function') this.selection = this.selectedInputs(context);
  }

  processElement(record: unknown, input: number): void {
    if (this.selection) {
      this.selection.onRecord(record, input, this.recordTimestamp.value);
      return;
    }
    this.setKey(record, input);
    this.deliver(record, input);
  }

  override processWatermark(timestamp: number): void {
    if (this.selection) this.selection.onWatermark(timestamp);
    else this.advanceWatermark(timestamp);
  }

  override endInput(input: number): void {
    this.selection?.onEndInput(input);
  }

  override finish(): void {
    this.selection?.drainAll();
    this.fn.onEndOfInput?.(this.output);
  }

  override close(): void {
    this.timers?.close();
  }

  private selectedInputs(context: OperatorContext): SelectedInputs {
    const store = this.state ? { keyed: this.state } : { operator: this.operatorState };
    return new SelectedInputs(
      { nextSelection: () => this.fn.nextSelection!() },
      store,
      this.restored,
      (record, input) => this.setKey(record, input),
      (record, input, timestamp) => {
        context.recordTimestamp.value = timestamp;
        this.deliver(record, input);
      },
      (timestamp) => this.advanceWatermark(timestamp),
    );
  }

  private setKey(record: unknown, input: number): void {
    if (this.state) this.state.setCurrentKey(this.keySelectors![input]!(record));
  }

  private deliver(record: unknown, input: number): void {
    if (input === 0) this.fn.processElement1(record as IN1, this.context, this.output);
    else this.fn.processElement2(record as IN2, this.context, this.output);
  }

  private advanceWatermark(timestamp: number): void {
    this.timers?.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  private onTimer(timestamp: number, domain: TimeDomain, context: OperatorContext): void {
    if (!this.fn.onTimer)
      throw new InvalidJobError(
        `operator '${context.operatorName}' registered a timer but its co-process function has no onTimer`,
      );
    this.firing = domain;
    context.recordTimestamp.value = timestamp;
    this.fn.onTimer(timestamp, this.timerContext, this.output);
  }
}
