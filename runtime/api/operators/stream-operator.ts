import type { Collector, KeyedStateAccess, RuntimeInfo } from '../functions';
import type { SinkWriterContext } from '../sink';

/**
 * What an operator sees of the task it runs in. Keyed state is present only for operators
 * whose input is keyed.
 */
export interface OperatorContext extends RuntimeInfo {
  readonly operatorId: string;
  readonly taskManagerId: string;
  readonly keyedState?: KeyedStateBackendAccess;
  readonly sinkContext: Pick<SinkWriterContext, 'emitOutput' | 'emitResult'>;
}

/** The slice of the keyed state backend an operator uses. */
export interface KeyedStateBackendAccess extends KeyedStateAccess {
  setCurrentKey(key: unknown): void;
}

/**
 * A running operator. Calls come from one thread in this order: `open`, then any number of
 * `processElement` (with the input index: 0, or 1 for the second input of a two-input
 * operator), `endInput` once per input when bounded, `finish` after all inputs ended, `close`.
 * Records are emitted through `output`, which the task wires to chained operators or the network.
 */
export abstract class StreamOperator<OUT = unknown> {
  output!: Collector<OUT>;

  open(_context: OperatorContext): void | Promise<void> {}
  abstract processElement(record: unknown, input: number): void;
  endInput(_input: number): void {}
  finish(): void {}
  close(): void | Promise<void> {}
}

/** Flags that tell the task how to drive an operator. */
export interface OperatorTraits {
  /** Number of logical inputs: 0 for a source, 1, or 2 for connected streams. */
  readonly inputs: 0 | 1 | 2;
}
