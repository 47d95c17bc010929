import { keyGroupForKey } from '../../graph/key-groups';

/**
 * Hidden keys, one per key group, under which an operator keeps state that belongs to a key
 * group rather than to one key (timers, buffered input): stored as keyed state, it is
 * snapshotted, restored and redistributed by key group like any other.
 */
export class KeyGroupKeys {
  private readonly keys = new Map<number, unknown>();

  constructor(
    private readonly prefix: string,
    private readonly maxParallelism: number,
  ) {}

  /** The hidden key of `group`, found once by trying candidates in turn. */
  of(group: number): unknown {
    const known = this.keys.get(group);
    if (known !== undefined) return known;
    for (let n = 0; ; n++) {
      const candidate = `\u0000${this.prefix}/${n}`;
      const candidateGroup = keyGroupForKey(candidate, this.maxParallelism);
      if (!this.keys.has(candidateGroup)) this.keys.set(candidateGroup, candidate);
      if (candidateGroup === group) return candidate;
    }
  }
}
