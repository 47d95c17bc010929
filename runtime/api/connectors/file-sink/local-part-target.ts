import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StorageError } from '../../../errors';
import { fileError } from '../file-error';
import type { PartTarget } from './part-target';

/**
 * Parts in a local directory (resolved in the TaskManager's working directory). Appends go
 * straight to the hidden in-progress file; staging and committing are renames in the same
 * directory, so each is atomic.
 */
export class LocalPartTarget implements PartTarget {
  readonly rollBytes = Number.POSITIVE_INFINITY;
  private readonly dir: string;
  private open: { name: string; fd: number; bytes: number } | undefined;

  constructor(
    dir: string,
    private readonly taskManagerId: string,
  ) {
    this.dir = resolve(dir);
  }

  describe(name: string): string {
    return join(this.dir, name);
  }

  append(name: string, text: string): void {
    const file = this.fileFor(name);
    file.bytes += writeSync(file.fd, text);
  }

  size(name: string): number {
    return this.open?.name === name ? this.open.bytes : 0;
  }

  stage(inProgress: string, staged: string): void {
    this.closeOpen(inProgress);
    try {
      renameSync(this.describe(inProgress), this.describe(staged));
    } catch (err) {
      throw fileError('write', this.describe(staged), this.taskManagerId, err);
    }
  }

  commit(staged: string, final: string): Promise<void> {
    const from = this.describe(staged);
    const to = this.describe(final);
    try {
      renameSync(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fileError('write', to, this.taskManagerId, err);
      if (!existsSync(to)) {
        throw new StorageError(
          `file sink: cannot commit ${to} on TaskManager ${this.taskManagerId}: neither it nor its staged file ${from} exists (the staged output was lost)`,
        );
      }
    }
    return Promise.resolve();
  }

  discard(inProgress: string, staged: readonly string[]): Promise<void> {
    this.closeOpen(inProgress);
    for (const name of [inProgress, ...staged]) rmSync(this.describe(name), { force: true });
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  private fileFor(name: string): { name: string; fd: number; bytes: number } {
    if (this.open?.name === name) return this.open;
    this.closeOpen(this.open?.name);
    const path = this.describe(name);
    try {
      mkdirSync(this.dir, { recursive: true });
      // 'w': what an earlier attempt left in progress was never staged, so it is garbage.
      this.open = { name, fd: openSync(path, 'w'), bytes: 0 };
    } catch (err) {
      throw fileError('write', path, this.taskManagerId, err);
    }
    return this.open;
  }

  private closeOpen(name: string | undefined): void {
    if (this.open === undefined || this.open.name !== name) return;
    closeSync(this.open.fd);
    this.open = undefined;
  }
}
