import type { KeyGroupRange } from '../graph/key-groups';

/**
 * References to uploaded state (docs/architecture.md §6, §7). Neutral vocabulary: the job
 * manager writes them into `_metadata` and deployment descriptors, TaskManagers upload and
 * download the objects they name, task threads never see them (they get bytes).
 */

/** One uploaded state object. */
export interface StateHandle {
  /** Blob key relative to the store's root (`checkpoints/<jobId>/chk-<n>/...`). */
  readonly key: string;
  readonly bytes: number;
  /** Hex SHA-256 of the object's bytes; a mismatch on download refuses the object. */
  readonly sha256: string;
  /** Names of the states the object holds, for people reading `_metadata` (restore ignores them). */
  readonly states?: readonly string[];
}

/** A keyed state snapshot covers the key groups of the subtask that wrote it. */
export interface KeyedStateHandle extends StateHandle {
  readonly keyGroupRange: KeyGroupRange;
}

/** The state one operator (by operator id, its uid when set) of one subtask acknowledged. */
export interface OperatorSubtaskStateHandles {
  readonly keyed?: KeyedStateHandle;
  readonly operator?: StateHandle;
}

/**
 * What a task restores, by operator id: every old subtask's handles that concern this
 * subtask (keyed: those whose key groups intersect its range; operator state: all old
 * subtasks' lists in old subtask order, for split-distribute).
 */
export interface TaskRestoreHandles {
  readonly checkpointId: number;
  readonly operators: Readonly<
    Record<
      string,
      {
        readonly keyed: readonly KeyedStateHandle[];
        readonly operator: readonly StateHandle[];
        /** Old parallelism of the operator (operator state is redistributed when it differs). */
        readonly parallelism: number;
      }
    >
  >;
}

/** The downloaded bytes of `TaskRestoreHandles`, as a task thread receives them. */
export interface TaskRestoreState {
  readonly checkpointId: number;
  readonly operators: Readonly<
    Record<
      string,
      {
        readonly keyed: readonly Uint8Array[];
        readonly operator: readonly Uint8Array[];
        readonly parallelism: number;
      }
    >
  >;
}

/** A subtask's freshly taken snapshot bytes by operator id, before upload. */
export type OperatorSnapshotBytes = Readonly<
  Record<string, { readonly keyed?: Uint8Array; readonly operator?: Uint8Array }>
>;
