import type { ResourceProfile } from '../deployment/resource-profile';
import type { KeySelector } from './functions';
import type { Partitioner } from './partitioners';
import type { StreamOperator } from './operators/stream-operator';

/** How an operator may be chained (Flink's ChainingStrategy). */
export type ChainingStrategy =
  /** chains to its predecessor and successors whenever the rules allow */
  | 'always'
  /** starts a new chain, successors may chain to it (`startNewChain`) */
  | 'head'
  /** never chained in either direction (`disableChaining`) */
  | 'never'
  /**
   * chains to its predecessor, nothing chains to it: the watermarks operator of
   * `fromSource(…, strategy).disableChaining()`, which to its user is part of the source
   */
  | 'tail';

/**
 * How records travel along an edge (Flink's partitioners): `forward` subtask i to i; `rebalance`
 * round robin over all consumers; `rescale` round robin over a local subset (a pointwise edge);
 * `shuffle` uniformly at random; `global` all to consumer 0; `hash` by key group; `broadcast`
 * to all; `custom` where `partitionCustom`'s function says.
 */
export type PartitionerKind =
  'forward' | 'rebalance' | 'rescale' | 'shuffle' | 'global' | 'hash' | 'broadcast' | 'custom';

/** How records travel along an edge. `default` is forward for equal parallelism, else rebalance. */
export interface PartitionerSpec {
  readonly kind: PartitionerKind | 'default';
  /** The key of a record, for `hash` and `custom`. */
  readonly keySelector?: KeySelector<unknown, unknown>;
  /** The partition of a key, for `custom`. */
  readonly partitioner?: Partitioner<unknown>;
}

export interface TransformationInput {
  readonly from: Transformation;
  /** Which logical input of the operator the edge feeds: 0, or 1 for the second connected stream. */
  readonly input: 0 | 1;
  readonly partitioner: PartitionerSpec;
  /** The id of the side output (OutputTag) the edge reads; undefined for the main output. */
  readonly outputTag?: string;
}

export interface SlotSharingGroupSpec {
  readonly name: string;
  /** Resource requirement of one slot of this group; undefined = the unknown profile. */
  readonly resources?: ResourceProfile;
}

export type OperatorKind =
  | 'source'
  | 'map'
  | 'flatMap'
  | 'filter'
  | 'reduce'
  | 'process'
  | 'coMap'
  | 'coFlatMap'
  | 'coProcess'
  | 'broadcastProcess'
  | 'intervalJoin'
  | 'sink'
  | 'timestamps'
  | 'window'
  | 'mapAsync';

/**
 * One node of the logical dataflow, as the DataStream API records it. Carries the operator
 * factory (a closure, never serialized) and everything graph translation needs.
 */
export class Transformation {
  name: string;
  uid: string | undefined;
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  slotSharingGroup: SlotSharingGroupSpec | undefined;
  chaining: ChainingStrategy = 'always';

  constructor(
    readonly id: number,
    readonly kind: OperatorKind,
    name: string,
    readonly inputs: readonly TransformationInput[],
    readonly inputCount: 0 | 1 | 2,
    readonly createOperator: () => StreamOperator,
    /** True when the operator's input is keyed, so it gets a keyed state backend. */
    readonly keyed: boolean,
  ) {
    this.name = name;
  }
}
