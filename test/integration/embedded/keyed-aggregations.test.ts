import type { Trade } from '../../fixtures/jobs/aggregations-job';
import { trades } from '../../fixtures/jobs/aggregations-job';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

/**
 * The reference: for each record, the records of its key so far, and from that list — not by
 * a rolling fold — what Flink's aggregation emits for it.
 */
function perKeyPrefixes<T>(records: readonly T[], key: (r: T) => unknown): T[][] {
  const seen = new Map<unknown, T[]>();
  return records.map((r) => {
    const list = [...(seen.get(key(r)) ?? []), r];
    seen.set(key(r), list);
    return list;
  });
}

function expectedAggregationLines(count: number): string[] {
  const input = trades(count);
  const lines: string[] = [];
  const emit = (what: string, values: unknown[]): void =>
    void lines.push(...values.map((v) => `${what} ${JSON.stringify(v)}`));
  const prefixes = perKeyPrefixes(input, (t) => t.k);
  const prices = (list: Trade[]): number[] => list.map((t) => t.price);
  emit(
    'min',
    prefixes.map((l) => ({ ...l[0]!, price: Math.min(...prices(l)) })),
  );
  emit(
    'max',
    prefixes.map((l) => ({ ...l[0]!, price: Math.max(...prices(l)) })),
  );
  emit(
    'minBy',
    prefixes.map((l) => l.find((t) => t.price === Math.min(...prices(l)))),
  );
  emit(
    'maxByLast',
    prefixes.map((l) => l.findLast((t) => t.price === Math.max(...prices(l)))),
  );
  const names = (l: Trade[]): string => [...l.map((t) => t.name)].sort()[0]!;
  emit(
    'minByName',
    prefixes.map((l) => l.find((t) => t.name === names(l))),
  );
  const tuples = input.map((t): [string, number, number] => [t.k, t.price, t.seq]);
  emit(
    'maxTuple',
    perKeyPrefixes(tuples, (t) => t[0]).map((l) => [l[0]![0], Math.max(...l.map((t) => t[1])), l[0]![2]]),
  );
  const values = input.map((t) => t.price * 10 + (t.seq % 7));
  emit(
    'minValue',
    perKeyPrefixes(values, (v) => v % 2).map((l) => Math.min(...l)),
  );
  return lines.sort();
}

describe('min, max, minBy, maxBy on a keyed stream', () => {
  it.each(['heap', 'kv'])(
    'equal the reference computed from the raw trades (%s)',
    async (stateBackend) => {
      const count = 600;
      const { lines } = await runEmbedded(fixtureJob('aggregations-job'), {
        count: String(count),
        stateBackend,
      });
      const expected = expectedAggregationLines(count);
      expect(expected).toHaveLength(7 * count);
      expect([...lines].sort()).toEqual(expected);
    },
    120_000,
  );
});
