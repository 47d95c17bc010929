import type { ResolvedConfig } from '../config';
import type { SerializedError } from '../error-wire';
import { BadRequestError } from '../errors';
import { serializeError } from '../error-wire';
import { normalizeBlobPrefix } from '../storage/blob-key';
import type { BlobStore } from '../storage/blob-store';
import type { S3PathScope } from '../storage/s3-path';
import { assertTaskBlobKey } from '../storage/s3-path';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import type { TaskKey } from './task-executor';
import type { TaskBlobReply, TaskBlobRequest } from './task-reporter';

/** The `s3://` scope of a configuration: present only when the blob store is on S3. */
export function taskBlobScope(config: ResolvedConfig): S3PathScope | undefined {
  const bucket = config['s3.bucket'];
  if (config['storage.type'] !== 's3' || bucket === undefined) return undefined;
  return { bucket, prefix: normalizeBlobPrefix(config['s3.prefix']) };
}

/**
 * The TaskManager's side of task blob access (`TaskEvents.onBlobRequest`): task threads hold no
 * credentials, so connectors reading or writing `s3://` paths ask the TaskManager, which makes
 * the call with its own blob store. Every key is checked here, at the trust boundary: it must be
 * a valid key outside the cluster's own folders (`assertTaskBlobKey`); the store's root is the
 * configured bucket and prefix, so no key can leave them.
 */
export class TaskBlobAccess {
  constructor(
    private readonly store: BlobStore | undefined,
    /** What tasks are told; undefined when the store is not on S3 (then every request is refused). */
    readonly scope: S3PathScope | undefined,
    private readonly logger: Logger = createLogger('task-blob-access'),
  ) {}

  /** Answers one request of `task`; never rejects (a failure is an `ok: false` reply, and logged). */
  handle(task: TaskKey, request: TaskBlobRequest): Promise<TaskBlobReply> {
    const reply = this.perform(request).then(
      (r): TaskBlobReply => ({ ok: true, ...r }),
      (err: unknown): TaskBlobReply => {
        this.logger.warn(
          { err, jobId: task.jobId, vertexId: task.vertexId, subtask: task.subtaskIndex, op: request.op },
          'blob request of a task failed',
        );
        return { ok: false, error: serializeError(err) };
      },
    );
    return reply;
  }

  private async perform(request: TaskBlobRequest): Promise<Omit<Extract<TaskBlobReply, { ok: true }>, 'ok'>> {
    const store = this.store;
    if (store === undefined || this.scope === undefined) {
      throw new BadRequestError(
        'tasks may use the blob store only for s3:// paths, and this cluster has no S3 blob store (storage.type: s3 with s3.bucket)',
      );
    }
    switch (request.op) {
      case 'put':
        assertTaskBlobKey(request.key);
        await store.put(request.key, request.body);
        return {};
      case 'get':
        assertTaskBlobKey(request.key);
        return { body: await store.get(request.key) };
      case 'get-range':
        assertTaskBlobKey(request.key);
        return { body: await store.getRange(request.key, request.offset, request.length) };
      case 'size':
        assertTaskBlobKey(request.key);
        return { size: await store.size(request.key) };
      case 'copy':
        assertTaskBlobKey(request.from);
        assertTaskBlobKey(request.to);
        await store.copy(request.from, request.to, request.options);
        return {};
      case 'exists':
        assertTaskBlobKey(request.key);
        return { exists: await store.exists(request.key) };
      case 'list':
        assertTaskBlobKey(request.prefix);
        return { keys: await store.list(request.prefix) };
      case 'delete':
        assertTaskBlobKey(request.key);
        await store.delete(request.key);
        return {};
      default: {
        const unknown: never = request;
        throw new BadRequestError(`unknown blob request ${JSON.stringify((unknown as { op?: unknown }).op)}`);
      }
    }
  }
}

/**
 * One task's blob puts not answered yet. A sink stages its output for checkpoint n with a put
 * before the task acknowledges n, so the TaskManager holds the acknowledgement until the put is
 * stored (`TaskExecutor`): a completed checkpoint never names a staged object that is missing.
 */
export class PendingBlobPuts {
  private readonly pending = new Set<Promise<TaskBlobReply>>();

  get size(): number {
    return this.pending.size;
  }

  track(reply: Promise<TaskBlobReply>): void {
    this.pending.add(reply);
    void reply.finally(() => this.pending.delete(reply));
  }

  /** Resolves once every put tracked so far is answered: with the first failure, else undefined. */
  async settled(): Promise<SerializedError | undefined> {
    const replies = await Promise.all([...this.pending]);
    for (const reply of replies) if (!reply.ok) return reply.error;
    return undefined;
  }
}
