import { isS3Path, s3PathToBlobKey } from '../../storage/s3-path';
import type { Sink, SinkWriter, SinkWriterContext } from '../sink';
import { FileSinkWriter } from './file-sink/file-sink-writer';
import { LocalPartTarget } from './file-sink/local-part-target';
import { partNames } from './file-sink/part-names';
import type { PartTarget } from './file-sink/part-target';
import { S3PartTarget } from './file-sink/s3-part-target';

/**
 * Text lines into part files in `dir`, a local directory (resolved on each TaskManager) or an
 * `s3://bucket/prefix/folder` of the cluster's bucket. Committed parts are named
 * `part-<jobId>-<subtask>-<n>.txt` and are the only files matching `<dir>/part-*`; in-progress
 * and staged parts are hidden (leading `.`). With checkpointing the sink commits exactly once
 * per completed checkpoint (two-phase commit); without, it commits when the job finishes. See
 * `FileSinkWriter` and docs/connectors.md.
 */
export function fileSink<T>(dir: string): Sink<T> {
  return {
    createWriter(context): SinkWriter<T> {
      return new FileSinkWriter<T>(
        targetFor(dir, context),
        partNames(context.jobId, context.subtaskIndex, context.attemptNumber),
        context.checkpointing,
      );
    },
  };
}

function targetFor(dir: string, context: SinkWriterContext): PartTarget {
  if (!isS3Path(dir)) return new LocalPartTarget(dir, context.taskManagerId);
  const folder = s3PathToBlobKey(dir, context.s3?.scope, true);
  if (context.s3 === undefined) throw new Error(`cannot write ${dir}: this task has no blob access`);
  return new S3PartTarget(context.s3.store, folder);
}
