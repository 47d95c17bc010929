import type { SavepointSummary } from '../checkpoint/savepoint-store';
import type { CheckpointTriggerStatus } from '../jobmanager/rest/checkpoint-triggers';
import type { RequestOptions, RestClient } from './rest-client';

/** `GET /jobs/:id/savepoints/:requestId` (and the disposal's): Flink's shape, `location` once COMPLETED. */
export type SavepointRequestStatus =
  | Exclude<CheckpointTriggerStatus, { status: 'COMPLETED' }>
  | { readonly requestId: string; readonly status: 'COMPLETED'; readonly location: string };

const jobPath = (jobId: string): string => `/jobs/${encodeURIComponent(jobId)}`;

/**
 * The savepoint routes of a job manager (docs/architecture.md §8), typed: each starts an
 * asynchronous request and answers with its id at once; the status routes tell how it ended.
 */
export class SavepointRequests {
  constructor(readonly client: RestClient) {}

  /** `POST /jobs/:id/savepoints {targetDirectory?, cancelJob?}`. */
  async trigger(
    jobId: string,
    body: { targetDirectory?: string; cancelJob?: boolean },
    options: RequestOptions = {},
  ): Promise<string> {
    const reply = await this.client.request('POST', `${jobPath(jobId)}/savepoints`, body, options);
    return (reply as { requestId: string }).requestId;
  }

  /** `POST /jobs/:id/stop {targetDirectory?, drain?}`: its status is read like a savepoint's. */
  async stop(
    jobId: string,
    body: { targetDirectory?: string; drain?: boolean },
    options: RequestOptions = {},
  ): Promise<string> {
    const reply = await this.client.request('POST', `${jobPath(jobId)}/stop`, body, options);
    return (reply as { requestId: string }).requestId;
  }

  async status(
    jobId: string,
    requestId: string,
    options: RequestOptions = {},
  ): Promise<SavepointRequestStatus> {
    const path = `${jobPath(jobId)}/savepoints/${encodeURIComponent(requestId)}`;
    return (await this.client.request('GET', path, undefined, options)) as SavepointRequestStatus;
  }

  /** `POST /savepoint-disposal {savepointPath}`. */
  async dispose(savepointPath: string, options: RequestOptions = {}): Promise<string> {
    const reply = await this.client.request('POST', '/savepoint-disposal', { savepointPath }, options);
    return (reply as { requestId: string }).requestId;
  }

  async disposalStatus(requestId: string, options: RequestOptions = {}): Promise<SavepointRequestStatus> {
    const path = `/savepoint-disposal/${encodeURIComponent(requestId)}`;
    return (await this.client.request('GET', path, undefined, options)) as SavepointRequestStatus;
  }

  /** `GET /savepoints`: every savepoint in the cluster's store, newest first. */
  async list(options: RequestOptions = {}): Promise<SavepointSummary[]> {
    const reply = await this.client.request('GET', '/savepoints', undefined, options);
    return (reply as { savepoints: SavepointSummary[] }).savepoints;
  }
}
