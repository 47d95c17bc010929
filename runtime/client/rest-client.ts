import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkError, RestApiError, SluiceError, type SluiceErrorCode } from '../errors';
import type {
  CheckpointDetails,
  JobCheckpointConfig,
  JobCheckpointStats,
} from '../checkpoint/checkpoint-stats';
import type { CheckpointGateway } from '../jobmanager/checkpoint-gateway';
import type { CheckpointTriggerStatus } from '../jobmanager/rest/checkpoint-triggers';
import type {
  ClusterOverview,
  JobDetails,
  JobManagerGateway,
  JobOutputPage,
  JobSubmission,
  JobSummary,
  TaskManagerInfo,
} from '../jobmanager/gateway';
import type { HealthReport } from '../services/dependency-health';
import { networkReason, restErrorFor } from './rest-errors';
import { JobManagerEndpoints } from './job-manager-endpoints';

export interface RestClientOptions {
  /** Base URL of the job manager's REST API, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /**
   * The other job managers of a highly available cluster: when `url` cannot be reached, a
   * request goes to these in turn (see `JobManagerEndpoints` for which requests may).
   */
  readonly fallbackUrls?: readonly string[];
  /** Bearer token (`rest.token`); without one, every route but health answers 401. */
  readonly token?: string;
  /** Deadline of one request, response body included (default 30 s). */
  readonly timeoutMs?: number;
  /** Deadline of an artifact upload, which may be tens of MB (default 5 min). */
  readonly uploadTimeoutMs?: number;
}

/** Per-call options: `signal` aborts the call (the promise rejects with the signal's reason). */
export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface TriggerCheckpointOptions extends RequestOptions {
  /** How often the request's status is asked for (default 250 ms). */
  readonly pollIntervalMs?: number;
  /** Told each status while the checkpoint is in progress (for progress output). */
  readonly onProgress?: (status: CheckpointTriggerStatus, elapsedMs: number) => void;
}

/**
 * A manual checkpoint that ended FAILED. `code` is the job manager's code for the cause
 * (`SLUICE_TIMEOUT` for an expired checkpoint…), `failureCause` its answer as sent.
 */
export class CheckpointTriggerFailedError extends SluiceError {
  constructor(
    readonly jobId: string,
    readonly failureCause: { readonly code: string; readonly message: string },
  ) {
    super(
      /^SLUICE_[A-Z_]+$/.test(failureCause.code) ? (failureCause.code as SluiceErrorCode) : 'SLUICE_INTERNAL',
      `checkpoint of job ${jobId} failed: ${failureCause.message}`,
    );
  }
}

interface Call extends RequestOptions {
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

/** Redirects followed to reach the leader (one is the normal case: standby → leader). */
const MAX_LEADER_REDIRECTS = 3;

/**
 * Typed client of the job manager's REST API (global fetch). Mirrors `JobManagerGateway`, so
 * code written against the gateway runs against a remote job manager unchanged. Errors:
 * `NetworkError` when the job manager cannot be reached or does not answer in time,
 * `UnauthorizedError` when the token is missing or rejected, `BadRequestError`,
 * `NotFoundError`, `ConflictError` by the server's code, `RestApiError` for anything else.
 */
export class RestClient implements JobManagerGateway, CheckpointGateway {
  private readonly endpoints: JobManagerEndpoints;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly uploadTimeoutMs: number;

  constructor(options: RestClientOptions) {
    this.endpoints = new JobManagerEndpoints([options.url, ...(options.fallbackUrls ?? [])]);
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.uploadTimeoutMs = options.uploadTimeoutMs ?? 300_000;
  }

  /** The job manager this client talks to: the one that answered last. */
  get url(): string {
    return this.endpoints.primary;
  }

  /**
   * `GET /healthz`; needs no token. Resolves with the report when the job manager is ready;
   * a dependency down is a `RestApiError` (503, `SLUICE_UNAVAILABLE`) whose message names it.
   */
  async health(options: RequestOptions & { timeoutMs?: number } = {}): Promise<HealthReport> {
    return (await this.json('GET', '/healthz', options)) as HealthReport;
  }

  /** `GET /livez`; needs no token. Resolves while the job manager serves requests, whatever its dependencies do. */
  async live(options: RequestOptions & { timeoutMs?: number } = {}): Promise<{ status: string }> {
    return (await this.json('GET', '/livez', options)) as { status: string };
  }

  async overview(options: RequestOptions = {}): Promise<ClusterOverview> {
    return (await this.json('GET', '/overview', options)) as ClusterOverview;
  }

  async listJobs(options: RequestOptions = {}): Promise<JobSummary[]> {
    return ((await this.json('GET', '/jobs', options)) as { jobs: JobSummary[] }).jobs;
  }

  async submitJob(submission: JobSubmission, options: RequestOptions = {}): Promise<{ jobId: string }> {
    const body = JSON.stringify(submission);
    const { jobId } = (await this.json('POST', '/jobs', {
      ...options,
      body,
      contentType: 'application/json',
    })) as { jobId: string };
    return { jobId };
  }

  async getJob(jobId: string, options: RequestOptions = {}): Promise<JobDetails> {
    return (await this.json('GET', `/jobs/${encodeURIComponent(jobId)}`, options)) as JobDetails;
  }

  async cancelJob(jobId: string, options: RequestOptions = {}): Promise<void> {
    await this.json('PATCH', `/jobs/${encodeURIComponent(jobId)}?mode=cancel`, options);
  }

  async jobOutput(
    jobId: string,
    fromLine = 0,
    fromResult = 0,
    options: RequestOptions = {},
  ): Promise<JobOutputPage> {
    const query = `fromLine=${fromLine}&fromResult=${fromResult}`;
    return (await this.json(
      'GET',
      `/jobs/${encodeURIComponent(jobId)}/output?${query}`,
      options,
    )) as JobOutputPage;
  }

  async listTaskManagers(options: RequestOptions = {}): Promise<TaskManagerInfo[]> {
    return ((await this.json('GET', '/taskmanagers', options)) as { taskManagers: TaskManagerInfo[] })
      .taskManagers;
  }

  async putArtifact(sha256: string, body: Uint8Array, options: RequestOptions = {}): Promise<void> {
    await this.json('PUT', `/artifacts/${encodeURIComponent(sha256)}`, {
      ...options,
      body,
      contentType: 'application/javascript',
      timeoutMs: this.uploadTimeoutMs,
    });
  }

  async hasArtifact(sha256: string, options: RequestOptions = {}): Promise<boolean> {
    const response = await this.send('HEAD', `/artifacts/${encodeURIComponent(sha256)}`, options, [404]);
    return response.ok;
  }

  async checkpointStats(jobId: string, options: RequestOptions = {}): Promise<JobCheckpointStats> {
    return (await this.json('GET', `${checkpointsPath(jobId)}`, options)) as JobCheckpointStats;
  }

  async checkpointConfig(jobId: string, options: RequestOptions = {}): Promise<JobCheckpointConfig> {
    return (await this.json('GET', `${checkpointsPath(jobId)}/config`, options)) as JobCheckpointConfig;
  }

  async checkpointDetails(
    jobId: string,
    checkpointId: number,
    options: RequestOptions = {},
  ): Promise<CheckpointDetails> {
    const path = `${checkpointsPath(jobId)}/details/${encodeURIComponent(String(checkpointId))}`;
    return (await this.json('GET', path, options)) as CheckpointDetails;
  }

  /** `POST /jobs/:id/checkpoints`: starts a checkpoint and answers at once with its request id. */
  async requestCheckpoint(jobId: string, options: RequestOptions = {}): Promise<{ requestId: string }> {
    const { requestId } = (await this.json('POST', checkpointsPath(jobId), options)) as { requestId: string };
    return { requestId };
  }

  /** `GET /jobs/:id/checkpoints/:requestId`: IN_PROGRESS, COMPLETED or FAILED. */
  async checkpointRequestStatus(
    jobId: string,
    requestId: string,
    options: RequestOptions = {},
  ): Promise<CheckpointTriggerStatus> {
    const path = `${checkpointsPath(jobId)}/${encodeURIComponent(requestId)}`;
    return (await this.json('GET', path, options)) as CheckpointTriggerStatus;
  }

  /**
   * Triggers a checkpoint and waits until it ended (polling its request). Resolves with its id
   * and location; `CheckpointTriggerFailedError` with the job manager's cause when it failed,
   * `ConflictError` when the job is not running or does not checkpoint.
   */
  async triggerCheckpoint(
    jobId: string,
    options: TriggerCheckpointOptions = {},
  ): Promise<{ checkpointId: number; externalPath: string }> {
    const { requestId } = await this.requestCheckpoint(jobId, options);
    return this.awaitCheckpoint(jobId, requestId, options);
  }

  /**
   * Polls a triggered checkpoint's request until it ended. `NotFoundError` when the job manager
   * no longer knows the request (it restarted, or the record expired).
   */
  async awaitCheckpoint(
    jobId: string,
    requestId: string,
    options: TriggerCheckpointOptions = {},
  ): Promise<{ checkpointId: number; externalPath: string }> {
    const started = Date.now();
    for (;;) {
      const status = await this.checkpointRequestStatus(jobId, requestId, options);
      if (status.status === 'COMPLETED') {
        return { checkpointId: status.checkpointId, externalPath: status.externalPath };
      }
      if (status.status === 'FAILED') throw new CheckpointTriggerFailedError(jobId, status.failureCause);
      options.onProgress?.(status, Date.now() - started);
      await sleep(options.pollIntervalMs ?? 250, undefined, { signal: options.signal });
    }
  }

  /**
   * Any route by method and path, with an optional JSON body; resolves with the parsed answer.
   * For route families that keep their typed wrappers in a file of their own (savepoint-requests.ts).
   */
  async request(method: string, path: string, body?: object, options: RequestOptions = {}): Promise<unknown> {
    return this.json(method, path, {
      ...options,
      ...(body !== undefined ? { body: JSON.stringify(body), contentType: 'application/json' } : {}),
    });
  }

  /** Sends a request and parses its JSON answer (undefined for an empty body). */
  private async json(method: string, path: string, call: Call): Promise<unknown> {
    const response = await this.send(method, path, call);
    const text = await this.guard(call, call.timeoutMs ?? this.timeoutMs, this.url, () => response.text());
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RestApiError(
        'SLUICE_INTERNAL',
        response.status,
        `the job manager at ${this.url} answered ${method} ${path} with invalid JSON`,
      );
    }
  }

  /** Sends a request; a non-2xx status not in `accepted` becomes a typed error. */
  private async send(method: string, path: string, call: Call, accepted: number[] = []): Promise<Response> {
    const timeoutMs = call.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (call.contentType !== undefined) headers['content-type'] = call.contentType;
    const response = await this.endpoints.firstAnswer(method, (baseUrl) =>
      this.followingLeader(method, baseUrl, path, headers, call, timeoutMs),
    );
    if (response.ok || accepted.includes(response.status)) return response;
    const text = await this.guard(call, timeoutMs, this.url, () => response.text()).catch(() => '');
    throw restErrorFor(response, text, this.url, this.token !== undefined);
  }

  /**
   * Sends the request; a standby job manager answers 307 with the leader's address (§9), and
   * the request is sent there again with its method, token and body (fetch would drop the
   * token on a redirect to another origin). The body is bytes or text, so it can be resent.
   */
  private async followingLeader(
    method: string,
    baseUrl: string,
    path: string,
    headers: Record<string, string>,
    call: Call,
    timeoutMs: number,
  ): Promise<Response> {
    let target = `${baseUrl}${path}`;
    for (let hop = 0; ; hop++) {
      const where = hop === 0 ? baseUrl : `${new URL(target).origin} (the leader named by ${baseUrl})`;
      const response = await this.guard(call, timeoutMs, where, (signal) =>
        fetch(target, { method, headers, body: call.body, signal, redirect: 'manual' }),
      ).catch((err: unknown) => {
        if (hop === 0 || !(err instanceof NetworkError)) throw err;
        // A standby still names a leader that died: it leads again only once the lease lapsed.
        throw new NetworkError(`${err.message}. ${LEADER_LEASE_HINT}`, { cause: err.cause });
      });
      const location = response.headers.get('location');
      if ((response.status !== 307 && response.status !== 308) || location === null) return response;
      const next = new URL(location, target);
      if (hop >= MAX_LEADER_REDIRECTS || (next.protocol !== 'http:' && next.protocol !== 'https:'))
        return response;
      await response.body?.cancel();
      target = next.toString();
    }
  }

  /**
   * Runs one step of a request under the deadline and the caller's signal, translating
   * failures: the caller's abort stays an abort, everything else is a `NetworkError`.
   */
  private async guard<T>(
    call: Call,
    timeoutMs: number,
    where: string,
    step: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
    try {
      return await step(signal);
    } catch (err) {
      if (call.signal?.aborted) throw call.signal.reason;
      const reason = deadline.aborted ? `no answer within ${timeoutMs} ms` : networkReason(err);
      throw new NetworkError(`cannot reach the job manager at ${where}: ${reason}`, { cause: err });
    }
  }
}

const LEADER_LEASE_HINT =
  'If that leader died, a standby takes over once its lease lapses ' +
  '(high-availability.redis.leader-election.lease-duration, 15 s by default): try again then';

function checkpointsPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}/checkpoints`;
}
