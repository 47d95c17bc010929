import type { CheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import type { CheckpointSettings } from '../checkpoint/checkpoint-settings';
import type { SlotRegistry } from '../coordination/slot-registry';
import type { NetworkSettings } from '../deployment/task-deployment';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import type { JobResultStore } from './job-result-store';
import type { RestartStrategy } from './restart-strategy';
import type { ResourceManagerGateway } from './task-executor-gateway';
import type { TaskManagerPool } from './task-manager-pool';

/** What a job master uses of its job manager (or MiniCluster): one per cluster, shared by its jobs. */
export interface JobMasterContext {
  readonly registry: SlotRegistry;
  /** The cluster's resource manager, or the MiniCluster's in-process TaskManagers (embedded). */
  readonly resourceManager: ResourceManagerGateway;
  readonly network: Omit<NetworkSettings, 'bufferTimeoutMs'>;
  readonly slotRequestTimeoutMs: number;
  readonly restartStrategy: RestartStrategy;
  readonly exchange: 'tcp' | 'sqs';
  /** Cleans up after a job's exchange (SQS queues) once the job ended. */
  readonly onJobEnded?: (jobId: string, exchange: 'tcp' | 'sqs') => Promise<void>;
  /** Per-job mode: TaskManagers started for this job and stopped after it. */
  readonly pool?: TaskManagerPool;
  /** Where job output beyond the in-memory tail is spilled, and checkpoints are stored. */
  readonly blobStore?: BlobStore;
  /** Where checkpoints are stored when not in `blobStore` (a MiniCluster keeps job output in memory). */
  readonly checkpointStorage?: BlobStore;
  /** The job's checkpointing settings (its own over the cluster's); absent: no checkpoints. */
  readonly checkpointing?: CheckpointSettings;
  /** Checkpoint ids (Redis in a cluster with Redis coordination); default in memory. */
  readonly checkpointIdCounter?: CheckpointIdCounter;
  /** Where the outcome of every ended job is kept, so a new leader never re-runs it (§9). */
  readonly jobResults?: JobResultStore;
  /** The job manager leader's fencing token (docs/architecture.md §9); slot allocations carry it. */
  readonly fencingToken?: () => number;
  /**
   * Throws `NotLeaderError` when this job manager no longer leads (docs/architecture.md §9):
   * asked before deploying, completing a checkpoint and recording the job's result.
   */
  readonly assertLeader?: () => Promise<void>;
  readonly logger: Logger;
}
