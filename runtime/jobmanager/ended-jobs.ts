import type { JobGraph } from '../graph/job-graph';
import type { ExecutionState } from '../deployment/execution-state';
import type { Logger } from '../util/logger';
import type { JobDetails, JobOutputPage, JobSummary } from './gateway';
import type { JobGraphStore } from './job-graph-store';
import type { JobResult, JobResultStore } from './job-result-store';

/**
 * Jobs that ended under an earlier leader, answered from the job result store (the system of
 * record, docs/architecture.md §9): a new leader never runs them again, but `GET /jobs/:id`,
 * `GET /jobs` and `sluice list` still show them with their final status. Results never change
 * once written, so each is read from the store once and kept.
 */
export class EndedJobs {
  private readonly known = new Map<string, { result: JobResult; graph: JobGraph | undefined }>();

  constructor(
    private readonly results: JobResultStore,
    private readonly graphs: JobGraphStore,
    private readonly logger: Logger,
  ) {}

  /** The job's details from its result, or undefined when it has none (unknown or unfinished). */
  async details(jobId: string): Promise<JobDetails | undefined> {
    const ended = await this.load(jobId);
    return ended && detailsOf(ended.result, ended.graph);
  }

  /** Summaries of every job with a result, except those in `skip` (jobs this leader holds). */
  async list(skip: ReadonlySet<string>): Promise<JobSummary[]> {
    const ids = (await this.results.jobIds()).filter((id) => !skip.has(id));
    const ended = await Promise.all(ids.map((id) => this.load(id)));
    return ended.flatMap((e) => (e ? [summaryOf(e.result)] : []));
  }

  /** An empty, final output page: the lines of an ended job went with the leader that ran it. */
  async outputPage(jobId: string, fromLine: number, fromResult: number): Promise<JobOutputPage | undefined> {
    const ended = await this.load(jobId);
    if (!ended) return undefined;
    const status = ended.result.status;
    return {
      lines: [],
      results: [],
      nextLine: fromLine,
      nextResult: fromResult,
      status,
      droppedLines: 0,
      attempt: 0,
    };
  }

  private async load(jobId: string): Promise<{ result: JobResult; graph: JobGraph | undefined } | undefined> {
    const cached = this.known.get(jobId);
    if (cached) return cached;
    const result = await this.results.get(jobId);
    if (!result) return undefined;
    // The graph only adds the vertex list; a result without a readable record is still shown.
    const graph = await this.graphs.get(jobId).then(
      (record) => record.submission.jobGraph,
      (err: unknown) => {
        this.logger.warn(
          { jobId, err },
          'the record of an ended job cannot be read; shown without its vertices',
        );
        return undefined;
      },
    );
    const ended = { result, graph };
    this.known.set(jobId, ended);
    return ended;
  }
}

function summaryOf(result: JobResult): JobSummary {
  return {
    jobId: result.jobId,
    name: result.name,
    status: result.status,
    startTime: result.startTime,
    endTime: result.endTime,
    durationMs: result.endTime - result.startTime,
    tasks: {},
  };
}

function detailsOf(result: JobResult, graph: JobGraph | undefined): JobDetails {
  const state: ExecutionState = result.status;
  return {
    ...summaryOf(result),
    attempt: 0,
    restarts: result.restarts,
    vertices: (graph?.vertices ?? []).map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      slotSharingGroup: v.slotSharingGroup,
      status: state,
      recordsIn: 0,
      recordsOut: 0,
      backPressure: { ratio: 0, level: 'ok' as const },
      busyTimeMsPerSecond: 0,
      backPressuredTimeMsPerSecond: 0,
      operators: [],
      subtasks: [],
    })),
    edges: graph?.edges ?? [],
  };
}
