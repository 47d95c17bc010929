import type { PartitionerKind } from '../api/transformation';
import type { ChainedEdge, ChainedOperator } from '../graph/job-graph';
import type { JobExceptions } from './exception-history';

/**
 * What the dashboard and other read-only clients may ask of the job manager beyond
 * `JobManagerGateway`: a job's plan and failure history, a TaskManager's log tail. Kept apart so
 * the core gateway stays small; the dispatcher implements both.
 */
export interface InsightGateway {
  /** The job graph of a job in the shape of Flink's `GET /jobs/:id/plan`. `NotFoundError` for an unknown id. */
  jobPlan(jobId: string): Promise<JobPlan>;
  /** Failures of every attempt, newest first (bounded). `NotFoundError` for an unknown id. */
  jobExceptions(jobId: string): Promise<JobExceptions>;
  /**
   * The last `lines` lines a TaskManager logged, asked of it over its control connection.
   * `NotFoundError` for an unknown TaskManager, `ConflictError` when it is not connected or does not answer.
   */
  taskManagerLogs(taskManagerId: string, lines: number): Promise<TaskManagerLogs>;
}

/** Flink's plan: one node per job vertex (chain), with its inputs; Sluice adds the chain's operators. */
export interface JobPlan {
  readonly plan: {
    readonly jid: string;
    readonly name: string;
    readonly nodes: PlanNode[];
  };
}

export interface PlanNode {
  readonly id: string;
  /** Operator names joined by ' -> '. */
  readonly description: string;
  readonly parallelism: number;
  readonly slotSharingGroup: string;
  readonly inputs: PlanInput[];
  /** The chain's operators in topological order, and the edges between them (function calls). */
  readonly operators: readonly ChainedOperator[];
  readonly chainedEdges: readonly ChainedEdge[];
}

export interface PlanInput {
  /** The producing vertex. */
  readonly id: string;
  /** Input position of the consuming operator (two-input operators have 0 and 1). */
  readonly num: number;
  /** Flink's name for the partitioner: FORWARD, REBALANCE, RESCALE, SHUFFLE, GLOBAL, HASH, BROADCAST, CUSTOM. */
  readonly ship_strategy: Uppercase<PartitionerKind>;
  readonly sourceOperator: string;
  readonly targetOperator: string;
}

export interface TaskManagerLogs {
  readonly taskManagerId: string;
  readonly lines: string[];
  /** Earlier lines not included (dropped by the TaskManager's bounded tail, or not asked for). */
  readonly droppedLines: number;
}
