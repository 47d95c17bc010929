import type { S3PathAccess } from '../storage/s3-path';

/** What a source reader and a sink writer get from the task besides their subtask. */
export interface ConnectorContext {
  /**
   * The job's id: stable across restarts of one job and different for every submission, so a
   * sink names its output with it (`part-<jobId>-<subtask>-<n>`) and a restored commit finds
   * the files it staged.
   */
  readonly jobId: string;
  /** Access to `s3://` paths through the TaskManager (task threads hold no credentials). */
  readonly s3?: S3PathAccess;
}
