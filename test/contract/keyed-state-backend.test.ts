import { existsSync, readdirSync } from 'node:fs';
import { keyGroupForKey, keyGroupRangeForSubtask } from '../../runtime/graph/key-groups';
import type { KeyedStateBackend } from '../../runtime/state/keyed-state-backend';
import { KvKeyedStateBackend } from '../../runtime/state/kv/kv-keyed-state-backend';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../runtime/state/state-descriptors';
import { AVERAGE, describeKeyedStateBackendContract } from './keyed-state-backend.contract';
import type { BackendVariant } from './keyed-state-fixtures';
import { BACKEND_VARIANTS, BackendFactory, MAX_PARALLELISM } from './keyed-state-fixtures';

for (const variant of BACKEND_VARIANTS) describeKeyedStateBackendContract(variant);

const KEYS: unknown[] = [
  ...Array.from({ length: 200 }, (_, i) => `user-${i}`),
  ...Array.from({ length: 50 }, (_, i) => i * 7),
  ...Array.from({ length: 20 }, (_, i) => ({ region: `r${i % 3}`, id: i })),
  ['tuple', 1],
  'ünïcødé ✓',
];

function states(backend: KeyedStateBackend) {
  return {
    value: backend.getState(new ValueStateDescriptor<{ n: number; tag: string }>('value')),
    list: backend.getListState(new ListStateDescriptor<number>('list')),
    map: backend.getMapState(new MapStateDescriptor<unknown, string>('map')),
    reducing: backend.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b)),
    aggregating: backend.getAggregatingState(new AggregatingStateDescriptor('avg', AVERAGE)),
  };
}

/** Writes every kind of state for each key, with values that depend on the key's index. */
function fill(backend: KeyedStateBackend, keys: readonly unknown[]): void {
  const s = states(backend);
  keys.forEach((key, i) => {
    backend.setCurrentKey(key);
    s.value.update({ n: i, tag: `v${i}` });
    for (let j = 0; j <= i % 4; j++) {
      s.list.add(i * 10 + j);
      s.reducing.add(j + 1);
      s.aggregating.add(i + j);
    }
    s.map.put(`u${i % 5}`, `m${i}`);
    s.map.put(i, `n${i}`);
  });
}

/** Everything each key holds, read through the state API. */
function readAll(backend: KeyedStateBackend, keys: readonly unknown[]): unknown[] {
  const s = states(backend);
  return keys.map((key) => {
    backend.setCurrentKey(key);
    return [s.value.value(), s.list.get(), s.map.entries(), s.reducing.get(), s.aggregating.get()];
  });
}

describe('keyed state across backends', () => {
  let factory: BackendFactory;
  const [heap, kv, tinyKv] = BACKEND_VARIANTS as [BackendVariant, BackendVariant, BackendVariant];

  beforeEach(() => (factory = new BackendFactory()));
  afterEach(() => factory.disposeAll());

  it('give the same results for the same accesses', () => {
    const results = [heap, kv, tinyKv].map((variant) => {
      const backend = factory.create(variant);
      fill(backend, KEYS);
      return readAll(backend, KEYS);
    });
    expect(results[0]).toHaveLength(KEYS.length);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it.each([
    ['heap', 'kv'],
    ['kv', 'heap'],
    ['heap', 'heap'],
    ['kv', 'kv'],
  ])('restore a snapshot taken on %s on %s', async (from, to) => {
    const variantOf = (name: string) => (name === 'heap' ? heap : tinyKv);
    const source = factory.create(variantOf(from));
    fill(source, KEYS);
    const expected = readAll(source, KEYS);
    const bytes = await source.snapshot(1).materialize();
    const target = factory.create(variantOf(to));
    target.restore([bytes]);
    expect(readAll(target, KEYS)).toEqual(expected);
  });

  it.each([['heap'], ['kv']])(
    'on %s, split by key group range when scaling out 1 -> 3 and in 3 -> 2',
    async (name) => {
      const variant = name === 'heap' ? heap : kv;
      const single = factory.create(variant);
      fill(single, KEYS);
      const expected = readAll(single, KEYS);
      const bytes = await single.snapshot(1).materialize();

      const owner = (key: unknown, parallelism: number) => {
        const group = keyGroupForKey(key, MAX_PARALLELISM);
        return [...Array(parallelism).keys()].find((i) => {
          const range = keyGroupRangeForSubtask(MAX_PARALLELISM, parallelism, i);
          return group >= range.start && group <= range.end;
        })!;
      };
      const three = [0, 1, 2].map((i) => factory.create(variant, i, 3));
      three.forEach((b) => b.restore([bytes]));
      for (const [subtask, backend] of three.entries()) {
        const mine = KEYS.filter((k) => owner(k, 3) === subtask);
        expect(mine.length).toBeGreaterThan(0);
        expect(readAll(backend, mine)).toEqual(
          KEYS.flatMap((k, i) => (owner(k, 3) === subtask ? [expected[i]] : [])),
        );
      }
      // A restored subtask holds nothing of the keys it does not own.
      const other = KEYS.find((k) => owner(k, 3) === 1)!;
      const snapshot0 = await three[0]!.snapshot(2).materialize();
      const probe = factory.create(variant);
      probe.restore([snapshot0]);
      probe.setCurrentKey(other);
      expect(states(probe).list.get()).toEqual([]);

      const parts = await Promise.all(three.map((b) => b.snapshot(3).materialize()));
      const two = [0, 1].map((i) => factory.create(variant, i, 2));
      two.forEach((b) => b.restore(parts));
      for (const [subtask, backend] of two.entries()) {
        const mine = KEYS.filter((k) => owner(k, 2) === subtask);
        expect(readAll(backend, mine)).toEqual(
          KEYS.flatMap((k, i) => (owner(k, 2) === subtask ? [expected[i]] : [])),
        );
      }
    },
  );

  it('refuse a snapshot with another number of key groups', async () => {
    const backend = factory.create(heap);
    fill(backend, KEYS.slice(0, 3));
    const bytes = await backend.snapshot(1).materialize();
    const other = new KvKeyedStateBackend(64, { start: 0, end: 63 }, 'op', `${factory.dir}/other`, 16);
    expect(() => other.restore([bytes])).toThrow(/128 key groups and the operator 64/);
    await other.dispose();
  });
});

describe('kv keyed state backend files', () => {
  it('live in the given directory until dispose removes them', async () => {
    const factory = new BackendFactory();
    const backend = factory.create({ kind: 'kv', kvCacheBytes: 4096 }) as KvKeyedStateBackend;
    fill(backend, KEYS);
    expect(readdirSync(backend.directory).length).toBeGreaterThan(0);
    await backend.dispose();
    expect(existsSync(backend.directory)).toBe(false);
    await factory.disposeAll();
  });

  it('refuse a key too large for the store, naming the limit', async () => {
    const factory = new BackendFactory();
    const backend = factory.create({ kind: 'kv', kvCacheBytes: 4096 });
    expect(() => backend.setCurrentKey('x'.repeat(5000))).toThrow(/holds keys up to 1970 bytes/);
    await factory.disposeAll();
  });
});
