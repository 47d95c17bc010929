import type { FilterFunction, FlatMapFunction, MapFunction } from '../functions';
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
