/** At most this many records per `pollNext`: enough to amortise the call, small enough to stay in cache. */
const MAX_BATCH = 512;
/**
 * Time one `pollNext` should take at most. The task serves checkpoint barriers, cancels and
 * timers only between polls, so a batch of slow records (a generator that paces itself or
 * does real work, a heavy chain behind the source) must stay short: a batch of 512 records of
 * 70 ms each held every barrier for 36 s.
 */
const TARGET_MS = 2;

/**
 * The number of records a reader emits in its next poll, adapted to how long the last batch
 * took: it starts at one record, doubles while batches are quick and shrinks in proportion
 * when one took longer than the target. Costs two clock reads per batch.
 */
export class TimedBatch {
  size = 1;
  private started = 0;

  begin(): number {
    this.started = performance.now();
    return this.size;
  }

  end(): void {
    const took = performance.now() - this.started;
    if (took > TARGET_MS) this.size = Math.max(1, Math.floor((this.size * TARGET_MS) / took));
    else if (took < TARGET_MS / 2) this.size = Math.min(MAX_BATCH, this.size * 2);
  }
}
