import type { Collector } from '../api/functions';
import type { RecordTimestamp } from '../api/operators/stream-operator';
import type { StreamOperator } from '../api/operators/stream-operator';
import { UserFunctionError } from '../errors';
import type { StreamNode } from '../graph/stream-graph';
import type { KeyedStateBackend } from '../state/keyed-state-backend';
import type { OperatorStateBackend } from '../state/operator-state-backend';
import type { WatermarkValve } from './watermark-valve';

/*
 * An operator in its chain and the collectors that connect chained operators: per record, an
 * operator's output calls the next operator's input directly (see OperatorChain).
 */

/** An error from an operator, attributed to it (unless an inner operator already was). */
export function attributeError(err: unknown, node: Pick<StreamNode, 'name' | 'id'>): Error {
  return err instanceof UserFunctionError ? err : new UserFunctionError(node.name, node.id, err);
}

/** Feeds one logical input of an operator; attributes anything thrown to that operator. */
export class OperatorInput implements Collector<unknown> {
  constructor(
    readonly member: ChainMember,
    readonly input: number,
    /** The chained operator whose only output this is: counted here, saving a call per record. */
    private readonly upstream?: ChainMember,
  ) {}

  collect(record: unknown): void {
    const member = this.member;
    if (this.upstream) this.upstream.recordsOut++;
    member.recordsIn++;
    // The operator may emit with other timestamps; the caller's record keeps its own.
    const timestamp = member.timestamp.value;
    try {
      member.operator.processElement(record, this.input);
    } catch (err) {
      throw attributeError(err, member.node);
    }
    member.timestamp.value = timestamp;
  }
}

/** Counts what an operator emits, then passes it on (a plain counter: no clock per record). */
export class CountingOutput implements Collector<unknown> {
  constructor(
    private readonly member: ChainMember,
    private readonly inner: Collector<unknown>,
  ) {}

  collect(record: unknown): void {
    this.member.recordsOut++;
    this.inner.collect(record);
  }
}

export interface ChainMember {
  readonly node: StreamNode;
  readonly operator: StreamOperator;
  /** Per logical input: how many feeders (chained edges, network gates) have not ended yet. */
  readonly openFeeders: number[];
  finished: boolean;
  readonly isSink: boolean;
  /** Records the operator received and emitted (a source reads what it emits; a sink writes what it receives). */
  recordsIn: number;
  recordsOut: number;
  keyedState?: KeyedStateBackend;
  operatorState?: OperatorStateBackend;
  /** The operator's event time: the minimum watermark over its inputs. */
  readonly valve: WatermarkValve;
  /** The last watermark the operator emitted. */
  outputWatermark: number;
  /** The chain's shared timestamp of the record being processed. */
  readonly timestamp: RecordTimestamp;
}

/** One input of an operator's watermark valve: a chained predecessor or a network channel. */
export interface WatermarkInput {
  readonly valve: WatermarkValve;
  readonly index: number;
}

export class BroadcastingOutput implements Collector<unknown> {
  constructor(private readonly outputs: readonly Collector<unknown>[]) {}
  collect(record: unknown): void {
    for (const output of this.outputs) output.collect(record);
  }
}

export const DISCARD: Collector<unknown> = { collect() {} };
