import { CheckpointCorruptError, NotFoundError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import type { CheckpointMetadata } from './checkpoint-metadata';
import { decodeMetadata, encodeMetadata } from './checkpoint-metadata';
import {
  checkpointDir,
  checkpointIdOfKey,
  checkpointIdOfMetadataKey,
  jobCheckpointsPrefix,
  metadataKey,
} from './checkpoint-storage-layout';
import { directoryOfMetadataKey, isSavepointMetadataKey } from './savepoint-layout';

/** A completed checkpoint as read back from the store. */
export interface CompletedCheckpoint {
  readonly metadata: CheckpointMetadata;
  readonly metadataKey: string;
  /** Blob key of its directory (`checkpoints/<jobId>/chk-7`, or a savepoint's): state paths are relative to it. */
  readonly dir: string;
  /** `s3://…/chk-7` or `file:///…/chk-7`. */
  readonly externalPath: string;
}

/**
 * A job's completed checkpoints in the blob store (Flink's CompletedCheckpointStore): the
 * blob store is the truth, so a new attempt (or a new job manager) finds them by listing
 * `checkpoints/<jobId>/chk-*\/_metadata`. Keeps `retained` completed checkpoints and deletes
 * the directories of older ones, and of any other checkpoint no retained one refers to.
 */
export class CompletedCheckpointStore {
  constructor(
    private readonly blobs: BlobStore,
    readonly jobId: string,
    private readonly retained: number,
    private readonly logger: Logger,
    /**
     * Throws when this process may no longer complete checkpoints (a job manager that lost its
     * leadership, docs/architecture.md §9); asked right before `_metadata` is written.
     */
    private readonly fence: () => Promise<void> = async () => undefined,
  ) {}

  /** Ids of the checkpoints with a `_metadata` object, ascending. */
  async completedIds(): Promise<number[]> {
    const keys = await this.blobs.list(jobCheckpointsPrefix(this.jobId));
    return keys
      .map((k) => checkpointIdOfMetadataKey(this.jobId, k))
      .filter((id): id is number => id !== undefined)
      .sort((a, b) => a - b);
  }

  /**
   * From one listing: the newest completed checkpoint's id, and the highest id of any checkpoint
   * directory, completed or not (0 when there is none).
   */
  async storedIds(): Promise<{ latestCompleted: number; highest: number }> {
    const keys = await this.blobs.list(jobCheckpointsPrefix(this.jobId));
    let latestCompleted = 0;
    let highest = 0;
    for (const key of keys) {
      latestCompleted = Math.max(latestCompleted, checkpointIdOfMetadataKey(this.jobId, key) ?? 0);
      highest = Math.max(highest, checkpointIdOfKey(this.jobId, key) ?? 0);
    }
    return { latestCompleted, highest };
  }

  /**
   * Reads and verifies one checkpoint's `_metadata`.
   * @throws CheckpointCorruptError naming the object; NotFoundError when it does not exist.
   */
  async read(checkpointId: number): Promise<CompletedCheckpoint> {
    return this.readAt(metadataKey(this.jobId, checkpointId));
  }

  /**
   * Reads and verifies the `_metadata` at `key`, which may belong to another job (a job
   * started from an earlier job's checkpoint).
   * @throws CheckpointCorruptError naming the object; NotFoundError when it does not exist.
   */
  async readAt(key: string): Promise<CompletedCheckpoint> {
    const metadata = decodeMetadata(key, await this.blobs.get(key));
    // A savepoint may have been moved anywhere under savepoints/: its paths are relative.
    if (isSavepointMetadataKey(key) && metadata.kind === 'savepoint') {
      const dir = directoryOfMetadataKey(key);
      return { metadata, metadataKey: key, dir, externalPath: this.blobs.describe(dir) };
    }
    if (metadataKey(metadata.jobId, metadata.checkpointId) !== key)
      throw new CheckpointCorruptError(
        key,
        `it describes checkpoint ${metadata.checkpointId} of job ${metadata.jobId}`,
      );
    const dir = checkpointDir(metadata.jobId, metadata.checkpointId);
    return { metadata, metadataKey: key, dir, externalPath: this.blobs.describe(dir) };
  }

  /**
   * The newest completed checkpoint that verifies, skipping `unusable` ids; a corrupt one is
   * passed to `onCorrupt` (and added to `unusable`) before falling back to an older one.
   */
  async latest(
    unusable: Set<number> = new Set(),
    onCorrupt: (err: CheckpointCorruptError, checkpointId: number) => void = () => undefined,
  ): Promise<CompletedCheckpoint | undefined> {
    const ids = (await this.completedIds()).reverse();
    for (const id of ids) {
      if (unusable.has(id)) continue;
      try {
        return await this.read(id);
      } catch (err) {
        if (err instanceof NotFoundError) continue; // pruned meanwhile
        if (!(err instanceof CheckpointCorruptError)) throw err;
        unusable.add(id);
        onCorrupt(err, id);
      }
    }
    return undefined;
  }

  /**
   * Writes `_metadata` (the checkpoint's state objects must be stored already: this makes it
   * complete), then prunes beyond `retained`. Returns the checkpoint and the ids pruned.
   */
  async add(
    fields: Omit<CheckpointMetadata, 'checksum'>,
    inProgress: ReadonlySet<number> = new Set(),
  ): Promise<{ checkpoint: CompletedCheckpoint; pruned: number[] }> {
    const key = metadataKey(this.jobId, fields.checkpointId);
    await this.fence();
    await this.blobs.put(key, encodeMetadata(fields), {
      contentType: 'application/json',
      metadata: { kind: 'checkpoint-metadata' },
    });
    const checkpoint = await this.read(fields.checkpointId);
    const pruned = await this.prune(inProgress);
    return { checkpoint, pruned };
  }

  /**
   * Deletes every checkpoint directory except the `retained` newest completed ones and those
   * `inProgress`; returns the ids removed. Failures are logged, not thrown: pruning is retried
   * on the next completion.
   */
  async prune(inProgress: ReadonlySet<number> = new Set()): Promise<number[]> {
    const keys = await this.blobs.list(jobCheckpointsPrefix(this.jobId));
    const completed = keys
      .map((k) => checkpointIdOfMetadataKey(this.jobId, k))
      .filter((id): id is number => id !== undefined)
      .sort((a, b) => b - a);
    const keep = new Set([...completed.slice(0, this.retained), ...inProgress]);
    const newestKept = completed[0] ?? 0;
    const dirs = new Set(keys.map((k) => checkpointIdOfKey(this.jobId, k)));
    const victims = [...dirs].filter(
      (id): id is number => id !== undefined && !keep.has(id) && id < newestKept,
    );
    for (const id of victims) await this.discard(id);
    return victims.sort((a, b) => a - b);
  }

  /** Deletes one checkpoint's directory (an aborted or pruned checkpoint). */
  async discard(checkpointId: number): Promise<void> {
    try {
      await this.blobs.deletePrefix(checkpointDir(this.jobId, checkpointId));
    } catch (err) {
      this.logger.warn({ jobId: this.jobId, checkpointId, err }, 'deleting a checkpoint directory failed');
    }
  }

  /** Deletes every checkpoint of the job (retention on cancel / finish). */
  async discardAll(): Promise<number> {
    return this.blobs.deletePrefix(jobCheckpointsPrefix(this.jobId));
  }

  externalPath(checkpointId: number): string {
    return this.blobs.describe(checkpointDir(this.jobId, checkpointId));
  }
}
