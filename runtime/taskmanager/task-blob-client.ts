import type { MessagePort } from 'node:worker_threads';
import { deserializeError } from '../error-wire';
import { assertValidBlobKey, normalizeBlobPrefix } from '../storage/blob-key';
import type { BlobStore, PutOptions } from '../storage/blob-store';
import type { S3PathScope } from '../storage/s3-path';
import { blobKeyToS3Path } from '../storage/s3-path';
import type { TaskBlobReply, TaskBlobRequest, TaskControlMessage, TaskThreadMessage } from './task-reporter';

type OkReply = Extract<TaskBlobReply, { ok: true }>;

/**
 * The blob store as a task thread sees it: every call is a `blob` message to the TaskManager
 * thread, which makes it with the cluster's store and credentials (`TaskBlobAccess`) and answers
 * with `blob-reply`. Errors come back as their typed classes (`NotFoundError`…). Keys are
 * relative to the store's root, the configured bucket and prefix. While a call is pending the
 * port keeps the thread alive.
 */
export class TaskBlobClient implements BlobStore {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: OkReply) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly port: MessagePort,
    /** What `describe` names keys by; undefined when the cluster's store is not on S3. */
    private readonly scope: S3PathScope | undefined,
  ) {
    port.on('message', (m: TaskControlMessage) => {
      if (m.type === 'blob-reply') this.answered(m.id, m.reply);
    });
    // Listening must not keep a finished task's thread alive; a pending call refs the port.
    port.unref();
  }

  async put(key: string, body: Uint8Array | string, _options?: PutOptions): Promise<void> {
    assertValidBlobKey(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.call({ op: 'put', key, body: bytes });
  }

  async get(key: string): Promise<Uint8Array> {
    return (await this.call({ op: 'get', key })).body ?? new Uint8Array(0);
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return (await this.call({ op: 'get-range', key, offset, length })).body ?? new Uint8Array(0);
  }

  async size(key: string): Promise<number> {
    return (await this.call({ op: 'size', key })).size ?? 0;
  }

  async copy(from: string, to: string, options?: PutOptions): Promise<void> {
    await this.call({ op: 'copy', from, to, ...(options ? { options } : {}) });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.call({ op: 'exists', key })).exists === true;
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.call({ op: 'list', prefix: normalizeBlobPrefix(prefix) })).keys ?? [];
  }

  async delete(key: string): Promise<void> {
    await this.call({ op: 'delete', key });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    for (const key of keys) await this.delete(key);
    return keys.length;
  }

  describe(key: string): string {
    return this.scope ? blobKeyToS3Path(key, this.scope) : `blob:${key}`;
  }

  async close(): Promise<void> {
    // The port belongs to the task thread; nothing of its own to release.
  }

  private call(request: TaskBlobRequest): Promise<OkReply> {
    const id = ++this.nextId;
    const reply = new Promise<OkReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.port.ref();
    const message: TaskThreadMessage = { type: 'blob', id, request };
    this.port.postMessage(message);
    return reply;
  }

  private answered(id: number, reply: TaskBlobReply): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.port.unref();
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(deserializeError(reply.error));
  }
}
