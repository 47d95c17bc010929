/**
 * Channel ids and id prefixes (job attempts) that were released, so frames still in flight for
 * them are recognised as stale and dropped instead of being held for a consumer that will
 * never register. Bounded: the oldest entries are forgotten first; by then nothing of that
 * attempt is in flight any more.
 */
export class ReleasedChannels {
  private readonly ids = new Set<string>();
  /** Insertion-ordered, so the oldest is dropped first; a Set keeps `addPrefix` O(1). */
  private readonly prefixes = new Set<string>();

  constructor(
    private readonly maxIds = 100_000,
    private readonly maxPrefixes = 10_000,
  ) {}

  add(channelId: string): void {
    this.ids.delete(channelId);
    this.ids.add(channelId);
    if (this.ids.size > this.maxIds) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }

  addPrefix(prefix: string): void {
    if (this.prefixes.has(prefix)) return;
    this.prefixes.add(prefix);
    if (this.prefixes.size > this.maxPrefixes) {
      const oldest = this.prefixes.values().next();
      if (!oldest.done) this.prefixes.delete(oldest.value);
    }
  }

  /** An explicit new registration of the id wins over an earlier release of the same id. */
  forget(channelId: string): void {
    this.ids.delete(channelId);
  }

  has(channelId: string): boolean {
    if (this.ids.has(channelId)) return true;
    for (const prefix of this.prefixes) if (channelId.startsWith(prefix)) return true;
    return false;
  }
}
