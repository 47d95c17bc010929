/**
 * Where a file sink's parts live: a local directory or an `s3://` folder. The writer decides
 * names and moments; a target moves bytes. Names are relative to the sink's directory.
 */
export interface PartTarget {
  /** Where `name` is, for messages (`/abs/dir/name`, `s3://bucket/prefix/name`). */
  describe(name: string): string;
  /** Appends text to the in-progress part `name`, creating it on the first call. */
  append(name: string, text: string): void;
  /** Bytes appended to the in-progress part `name` so far. */
  size(name: string): number;
  /**
   * Closes the in-progress part and keeps it, hidden, as `staged`. Local files are renamed at
   * once; an S3 target starts the upload (`flush` waits for it).
   */
  stage(inProgress: string, staged: string): void;
  /**
   * Makes `staged` visible as `final`. Idempotent: a committed part (staged gone, final present)
   * is left as it is. Throws when neither exists (the staged output was lost).
   */
  commit(staged: string, final: string): Promise<void>;
  /** Drops the in-progress part `name` and the given staged parts (failure or cancel). */
  discard(inProgress: string, staged: readonly string[]): Promise<void>;
  /** Resolves when every upload started by `stage` is stored; rejects with the first failure. */
  flush(): Promise<void>;
  /** Parts without checkpointing roll at this size (an S3 part is held in memory until staged). */
  readonly rollBytes: number;
}
