import type {
  FilterFunction,
  FlatMapFunction,
  MapFunction,
  ProcessContext,
  ProcessFunction,
} from '../functions';
import { processContext } from './keyed-operators';
import type { OperatorContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

export class MapOperator<IN, OUT> extends StreamOperator<OUT> {
  constructor(private readonly fn: MapFunction<IN, OUT>) {
    super();
  }
  processElement(record: unknown): void {
    this.output.collect(this.fn(record as IN));
  }
}

export class FlatMapOperator<IN, OUT> extends StreamOperator<OUT> {
  constructor(private readonly fn: FlatMapFunction<IN, OUT>) {
    super();
  }
  processElement(record: unknown): void {
    this.fn(record as IN, this.output);
  }
}

export class FilterOperator<T> extends StreamOperator<T> {
  constructor(private readonly fn: FilterFunction<T>) {
    super();
  }
  processElement(record: unknown): void {
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

  constructor(private readonly fn: ProcessFunction<IN, OUT>) {
    super();
    this.processFn = typeof fn === 'function' ? fn : fn.processElement.bind(fn);
  }

  override open(context: OperatorContext): void {
    this.context = processContext(context, this.sideOutput, undefined);
  }

  processElement(record: unknown): void {
    this.processFn(record as IN, this.context, this.output);
  }

  override finish(): void {
    if (typeof this.fn !== 'function') this.fn.onEndOfInput?.(this.output);
  }
}
