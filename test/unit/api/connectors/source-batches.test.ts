/**
 * The generator and collection readers size each poll by how long the last one took: a source
 * whose records are slow to make emits one per poll, so the task serves barriers, cancels and
 * timers between records instead of after a batch of hundreds (a paced generator once held
 * every checkpoint barrier for the whole of its run).
 */
import { collectionSource, generatorSource } from '../../../../runtime/api/connectors/collection-sources';
import type { Source } from '../../../../runtime/api/source';

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: a record that takes `ms` of CPU to make
  }
}

/** Records emitted by each of the first `polls` polls (or until the reader ends). */
function recordsPerPoll<T>(source: Source<T>, polls: number, each: (r: T) => void = () => {}): number[] {
  const reader = source.createReader({ subtaskIndex: 0, parallelism: 1, taskManagerId: 'test' } as never);
  const counts: number[] = [];
  let n = 0;
  const output = { collect: (r: T) => (n++, each(r)) };
  for (let i = 0; i < polls; i++) {
    n = 0;
    const status = reader.pollNext(output);
    counts.push(n);
    if (status === 'end') break;
  }
  return counts;
}

test('a generator whose records are slow to make emits one record per poll', () => {
  const counts = recordsPerPoll(
    generatorSource(1000, (n) => (busyWait(5), n)),
    6,
  );
  expect(counts).toEqual([1, 1, 1, 1, 1, 1]);
});

test('a quick generator grows its batches, never beyond 512, and emits every record once in order', () => {
  const seen: number[] = [];
  const counts = recordsPerPoll(
    generatorSource(20_000, (n) => n),
    10_000,
    (r) => seen.push(r),
  );
  expect(Math.max(...counts)).toBeGreaterThan(1);
  expect(Math.max(...counts)).toBeLessThanOrEqual(512);
  expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
});

test('a collection behind a slow chain emits one item per poll, and every item once', () => {
  const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
  const seen: string[] = [];
  const counts = recordsPerPoll(collectionSource(items), 100, (r) => (busyWait(3), seen.push(r)));
  expect(counts.every((c) => c === 1)).toBe(true);
  expect(seen).toEqual(items);
});
