/** How many arrays are remembered: more than the windows one record is assigned to, usually. */
const SIZE = 8;

/**
 * What was derived from the last few frozen arrays seen (window ids), found by identity: a
 * record's window id is looked up several times in a row (a get and a put of its contents, its
 * timers), and the windows of one record are few. A WeakMap would keep more, but each entry of
 * one costs the garbage collector, and session windows make a new id per record.
 */
export class RecentSpellings {
  private readonly arrays: (readonly unknown[] | undefined)[] = new Array<undefined>(SIZE).fill(undefined);
  private readonly spellings: string[] = new Array<string>(SIZE).fill('');
  private next = 0;

  get(array: readonly unknown[]): string | undefined {
    for (let i = 0; i < SIZE; i++) if (this.arrays[i] === array) return this.spellings[i];
    return undefined;
  }

  set(array: readonly unknown[], spelling: string): void {
    this.arrays[this.next] = array;
    this.spellings[this.next] = spelling;
    this.next = (this.next + 1) % SIZE;
  }
}
