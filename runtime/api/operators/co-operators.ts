import type { CoFlatMapFunction, CoMapFunction, KeySelector, ProcessContext } from '../functions';
import { FunctionLifecycle } from './function-lifecycle';
import { processContext } from './keyed-operators';
import type { OperatorContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

export class CoMapOperator<IN1, IN2, OUT> extends StreamOperator<OUT> {
  private readonly lifecycle: FunctionLifecycle;

  constructor(private readonly fn: CoMapFunction<IN1, IN2, OUT>) {
    super();
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override async open(context: OperatorContext): Promise<void> {
    await this.lifecycle.open(processContext(context, this.sideOutput, undefined).getRuntimeContext());
  }

  processElement(record: unknown, input: number): void {
    this.output.collect(input === 0 ? this.fn.map1(record as IN1) : this.fn.map2(record as IN2));
  }

  override close(): Promise<void> {
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    return this.lifecycle.close();
  }
}

/** Co-flat-map; with keyed inputs it sets the current key so both sides share keyed state. */
export class CoFlatMapOperator<IN1, IN2, OUT> extends StreamOperator<OUT> {
  private context!: ProcessContext;
  private setKey: ((record: unknown, input: number) => void) | undefined;
  private readonly lifecycle: FunctionLifecycle;

  constructor(
    private readonly fn: CoFlatMapFunction<IN1, IN2, OUT>,
    private readonly keySelectors?: readonly [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>],
  ) {
    super();
    this.lifecycle = new FunctionLifecycle([fn]);
  }

  override async open(context: OperatorContext): Promise<void> {
    const state = this.keySelectors ? context.keyedState : undefined;
    this.context = processContext(context, this.sideOutput, state);
    const selectors = this.keySelectors;
    if (state && selectors) this.setKey = (r, i) => state.setCurrentKey(selectors[i]!(r));
    await this.lifecycle.open(this.context.getRuntimeContext());
  }

  override close(): Promise<void> {
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    return this.lifecycle.close();
  }

  processElement(record: unknown, input: number): void {
    this.setKey?.(record, input);
    if (input === 0) this.fn.flatMap1(record as IN1, this.output, this.context);
    else this.fn.flatMap2(record as IN2, this.output, this.context);
  }
}
