import { NotFoundError, StorageError } from '../../../errors';
import type { BlobStore } from '../../../storage/blob-store';
import type { PartTarget } from './part-target';

/** An S3 part is held in memory until it is staged; without checkpointing it rolls at this size. */
export const S3_PART_ROLL_BYTES = 64 * 1024 * 1024;

/**
 * Parts in an `s3://` folder, through the blob store the task was given (in a task thread: the
 * TaskManager's store, reached over the worker port). The in-progress part is kept in memory and
 * uploaded when staged, under its hidden staged name; commit copies it (server-side) to the final
 * name and deletes the staged object.
 */
export class S3PartTarget implements PartTarget {
  private inProgress: { name: string; chunks: Buffer[]; bytes: number } | undefined;
  /** Uploads started by `stage`, by staged name. */
  private readonly uploads = new Map<string, Promise<void>>();

  constructor(
    private readonly store: BlobStore,
    /** Blob key of the sink's folder. */
    private readonly folder: string,
    readonly rollBytes = S3_PART_ROLL_BYTES,
  ) {}

  describe(name: string): string {
    return this.store.describe(this.keyOf(name));
  }

  append(name: string, text: string): void {
    if (this.inProgress?.name !== name) this.inProgress = { name, chunks: [], bytes: 0 };
    const chunk = Buffer.from(text, 'utf8');
    this.inProgress.chunks.push(chunk);
    this.inProgress.bytes += chunk.byteLength;
  }

  size(name: string): number {
    return this.inProgress?.name === name ? this.inProgress.bytes : 0;
  }

  stage(inProgress: string, staged: string): void {
    const part = this.inProgress?.name === inProgress ? this.inProgress : undefined;
    this.inProgress = undefined;
    const body = Buffer.concat(part?.chunks ?? []);
    const upload = this.store.put(this.keyOf(staged), body);
    // Observed here so an unawaited failure is never unhandled; `flush` and `commit` rethrow it.
    upload.catch(() => undefined);
    this.uploads.set(staged, upload);
  }

  async commit(staged: string, final: string): Promise<void> {
    await this.uploads.get(staged);
    this.uploads.delete(staged);
    try {
      await this.store.copy(this.keyOf(staged), this.keyOf(final));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      if (await this.store.exists(this.keyOf(final))) return; // committed before
      throw new StorageError(
        `file sink: cannot commit ${this.describe(final)}: neither it nor its staged object ${this.describe(staged)} exists (the staged output was lost)`,
      );
    }
    await this.store.delete(this.keyOf(staged));
  }

  async discard(inProgress: string, staged: readonly string[]): Promise<void> {
    if (this.inProgress?.name === inProgress) this.inProgress = undefined;
    await Promise.allSettled(staged.map((name) => this.uploads.get(name)));
    for (const name of staged) {
      this.uploads.delete(name);
      await this.store.delete(this.keyOf(name));
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.uploads.values());
  }

  private keyOf(name: string): string {
    return `${this.folder}/${name}`;
  }
}
