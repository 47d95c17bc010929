import type { OperatorSnapshotBytes } from '../checkpoint/state-handles';
import { StateError } from '../errors';
import { serializeError } from '../error-wire';
import type { OperatorChain, OperatorSnapshotInProgress } from './operator-chain';
import { releaseSnapshots } from './operator-chain';
import type { TaskReporter } from './task-reporter';

/**
 * Takes this subtask's part of a checkpoint (Flink's SubtaskCheckpointCoordinator): the
 * synchronous snapshot of the whole chain while no record moves, then the barrier goes out,
 * then the snapshots are encoded while records flow again, and the bytes are acknowledged
 * to the TaskManager (which uploads them). A failure declines the checkpoint; the task goes on.
 */
export class SubtaskCheckpointer {
  /** Checkpoints whose bytes are still being encoded. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly chain: OperatorChain,
    private readonly reporter: TaskReporter,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Snapshots the chain for `checkpointId`, then calls `forwardBarrier` (not called when the
   * snapshot failed: the checkpoint is declined instead). `taskFinished`: the task's input
   * ended before this snapshot (see the `checkpoint-ack` message).
   */
  checkpoint(
    checkpointId: number,
    alignmentMs: number,
    forwardBarrier: () => void,
    taskFinished = false,
  ): void {
    const syncStart = this.now();
    let taken: OperatorSnapshotInProgress[];
    try {
      taken = this.chain.snapshotState(checkpointId);
    } catch (err) {
      this.decline(checkpointId, err);
      return;
    }
    const syncMs = this.now() - syncStart;
    forwardBarrier();
    const done = this.materialize(checkpointId, taken, { alignmentMs, syncMs }, taskFinished);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Declines `checkpointId` with the reason (the task keeps running). */
  decline(checkpointId: number, err: unknown): void {
    const error =
      err instanceof Error
        ? err
        : new StateError(`checkpoint ${checkpointId} failed in the task: ${String(err)}`);
    this.reporter.send({ type: 'checkpoint-declined', checkpointId, error: serializeError(error) });
  }

  /** Resolves once every snapshot taken so far was acknowledged or declined. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async materialize(
    checkpointId: number,
    taken: OperatorSnapshotInProgress[],
    { alignmentMs, syncMs }: { alignmentMs: number; syncMs: number },
    taskFinished: boolean,
  ): Promise<void> {
    const asyncStart = this.now();
    const operators: Record<string, { keyed?: Uint8Array; operator?: Uint8Array }> = {};
    const transfer: ArrayBuffer[] = [];
    const own = (bytes: Uint8Array): Uint8Array => {
      const copy = ownBuffer(bytes);
      transfer.push(copy.buffer as ArrayBuffer);
      return copy;
    };
    try {
      for (const snapshot of taken) {
        const keyed = snapshot.keyed ? own(await snapshot.keyed.materialize()) : undefined;
        const operator = snapshot.operator ? own(await snapshot.operator.materialize()) : undefined;
        if (keyed || operator)
          operators[snapshot.operatorId] = { ...(keyed ? { keyed } : {}), ...(operator ? { operator } : {}) };
      }
    } catch (err) {
      releaseSnapshots(taken);
      this.decline(checkpointId, err);
      return;
    }
    const result: OperatorSnapshotBytes = operators;
    const timings = { alignmentMs, syncMs, asyncMs: this.now() - asyncStart };
    try {
      this.reporter.send(
        {
          type: 'checkpoint-ack',
          checkpointId,
          operators: result,
          timings,
          ...(taskFinished ? { taskFinished } : {}),
        },
        transfer,
      );
    } catch (err) {
      this.decline(checkpointId, err);
    }
  }
}

/**
 * The bytes in an ArrayBuffer of their own: encoders often return a view into a larger shared
 * buffer, which must neither be transferred (it would vanish for the encoder) nor copied whole.
 */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    // Still copy when the buffer may be pooled or shared; a plain, exactly sized one moves as is.
    if (!(bytes.buffer instanceof SharedArrayBuffer) && !Buffer.isBuffer(bytes)) return bytes;
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
