import type { SinkWriter } from '../../sink';
import { formatRecord } from '../client-sinks';
import type { FileSinkCommittable, PartNames } from './part-names';
import { checkCommittable } from './part-names';
import type { PartTarget } from './part-target';

/** Text is handed to the target in chunks of about this many characters. */
const FLUSH_CHARS = 64 * 1024;

/**
 * One subtask's file sink writer: records become text lines in a hidden in-progress part.
 *
 * - With checkpointing (two-phase commit): `prepareCommit(n)` stages the part written since the
 *   last barrier as `.part-…-<n>.txt.pending` and returns the committable; `commit` renames it to
 *   `part-…-<n>.txt` once checkpoint n completed (and again, idempotently, after a restore).
 *   Closing without a final checkpoint drops what was not staged; staged parts wait for recovery.
 * - Without checkpointing: parts are staged as they roll and at `finish`, and committed in
 *   `close` after `finish`; a subtask that fails (close without finish) removes them, so its
 *   partial output never matches `<dir>/part-*`.
 */
export class FileSinkWriter<T> implements SinkWriter<T> {
  private pending: string[] = [];
  private pendingChars = 0;
  private written = false;
  private nextPart = 0;
  /** Without checkpointing: parts staged so far, committed at the end. */
  private readonly stagedParts: FileSinkCommittable[] = [];
  private finished = false;
  private closed = false;

  constructor(
    private readonly target: PartTarget,
    private readonly names: PartNames,
    private readonly checkpointing: boolean,
  ) {}

  write(record: T): void {
    const line = formatRecord(record) + '\n';
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= FLUSH_CHARS) this.flushText();
  }

  prepareCommit(checkpointId: number): FileSinkCommittable[] {
    this.flushText();
    return this.written ? [this.stage(checkpointId)] : [];
  }

  async commit(committables: unknown[]): Promise<void> {
    for (const value of committables) {
      const { staged, final } = checkCommittable(value);
      await this.target.commit(staged, final);
    }
  }

  finish(): void {
    this.flushText();
    this.finished = true;
    if (!this.checkpointing && this.written) this.stagedParts.push(this.stage(this.nextPart++));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.checkpointing) {
      // Staged parts belong to checkpoints: they wait, stored, for a commit or for recovery.
      await this.target.discard(this.names.inProgress, []);
      await this.target.flush();
      return;
    }
    if (!this.finished) {
      await this.target.discard(
        this.names.inProgress,
        this.stagedParts.map((p) => p.staged),
      );
      return;
    }
    await this.target.flush();
    await this.commit(this.stagedParts);
  }

  private flushText(): void {
    if (this.pending.length === 0) return;
    this.target.append(this.names.inProgress, this.pending.join(''));
    this.written = true;
    this.pending = [];
    this.pendingChars = 0;
    if (!this.checkpointing && this.target.size(this.names.inProgress) >= this.target.rollBytes) {
      this.stagedParts.push(this.stage(this.nextPart++));
    }
  }

  private stage(n: number): FileSinkCommittable {
    const part = { staged: this.names.staged(n), final: this.names.committed(n) };
    this.target.stage(this.names.inProgress, part.staged);
    this.written = false;
    return part;
  }
}
