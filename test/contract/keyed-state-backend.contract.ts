import { StateError } from '../../runtime/errors';
import type { KeyedStateBackend } from '../../runtime/state/keyed-state-backend';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../../runtime/state/state-descriptors';
import type { AggregateFunction } from '../../runtime/state/state-types';
import type { BackendVariant } from './keyed-state-fixtures';
import { BackendFactory } from './keyed-state-fixtures';
import { Prng } from '../helpers/prng';

/** Average of numbers: the accumulator is [sum, count]. */
export const AVERAGE: AggregateFunction<number, [number, number], number> = {
  createAccumulator: () => [0, 0],
  add: (value, [sum, count]) => [sum + value, count + 1],
  getResult: ([sum, count]) => sum / count,
  merge: ([s1, c1], [s2, c2]) => [s1 + s2, c1 + c2],
};

/**
 * The behaviour every keyed state backend must share (one contract suite per port): every
 * state kind, scoped to the current key, and snapshots in the backend-neutral format.
 */
export function describeKeyedStateBackendContract(variant: BackendVariant): void {
  describe(`KeyedStateBackend contract: ${variant.name}`, () => {
    let factory: BackendFactory;
    let backend: KeyedStateBackend;

    beforeEach(() => {
      factory = new BackendFactory();
      backend = factory.create(variant);
    });

    afterEach(async () => {
      await factory.disposeAll();
    });

    it('scopes value state to the current key, telling 1 from "1" and equal objects apart from order', () => {
      const count = backend.getState(new ValueStateDescriptor<number>('count', 0));
      for (const key of [1, '1', { a: 1, b: 2 }, { b: 2, a: 1 }, 'x', ['t', 1], 5n]) {
        backend.setCurrentKey(key);
        count.update(count.value()! + 1);
      }
      const expected: [unknown, number][] = [
        [1, 1],
        ['1', 1],
        [{ a: 1, b: 2 }, 2],
        ['x', 1],
        [['t', 1], 1],
        [5n, 1],
      ];
      for (const [key, value] of expected) {
        backend.setCurrentKey(key);
        expect([key, count.value()]).toEqual([key, value]);
      }
      backend.setCurrentKey('x');
      count.clear();
      expect(count.value()).toBe(0);
      backend.setCurrentKey('1');
      expect(count.value()).toBe(1);
    });

    it('gives a copy of an object default, so one key cannot change another key`s default', () => {
      const state = backend.getState(new ValueStateDescriptor<{ n: number }>('obj', { n: 0 }));
      backend.setCurrentKey('a');
      state.value()!.n = 99;
      backend.setCurrentKey('b');
      expect(state.value()).toEqual({ n: 0 });
      expect(backend.getState<number>('plain').value()).toBeUndefined();
    });

    it('keeps a list per key: add, addAll, update, get returns a copy, clear', () => {
      const list = backend.getListState(new ListStateDescriptor<string>('seen'));
      backend.setCurrentKey('k1');
      expect(list.get()).toEqual([]);
      list.add('a');
      list.addAll(['b', 'c']);
      backend.setCurrentKey('k2');
      list.add('z');
      backend.setCurrentKey('k1');
      const got = list.get();
      got.push('not stored');
      expect(list.get()).toEqual(['a', 'b', 'c']);
      list.update(['only']);
      expect(list.get()).toEqual(['only']);
      list.clear();
      expect(list.get()).toEqual([]);
      backend.setCurrentKey('k2');
      expect(list.get()).toEqual(['z']);
    });

    it('keeps a map per key with any user keys, ordered the same on every backend', () => {
      const map = backend.getMapState(new MapStateDescriptor<unknown, number>('m'));
      backend.setCurrentKey('k1');
      expect(map.isEmpty()).toBe(true);
      map.put('b', 2);
      map.put('a', 1);
      map.put(7, 70);
      map.put({ y: 1, x: 2 }, 12);
      map.putAll([['c', 3]]);
      map.put({ x: 2, y: 1 }, 21); // the same user key as {y:1,x:2}
      backend.setCurrentKey('k2');
      map.put('a', 100);
      backend.setCurrentKey('k1');
      expect(map.get('a')).toBe(1);
      expect(map.get({ x: 2, y: 1 })).toBe(21);
      expect(map.contains(7)).toBe(true);
      expect(map.contains('7')).toBe(false);
      expect(map.entries()).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
        [7, 70],
        [{ x: 2, y: 1 }, 21],
      ]);
      expect(map.keys()).toHaveLength(5);
      map.remove('b');
      expect(map.values()).toEqual([1, 3, 70, 21]);
      map.clear();
      expect(map.isEmpty()).toBe(true);
      expect(map.get('a')).toBeUndefined();
      backend.setCurrentKey('k2');
      expect(map.entries()).toEqual([['a', 100]]);
      expect(() => map.put(undefined, 1)).toThrow(/map state 'm': a user key cannot be undefined/);
      expect(() => map.get(null)).toThrow(/cannot be null/);
    });

    it('folds reducing and aggregating state per key', () => {
      const max = backend.getReducingState(new ReducingStateDescriptor<number>('max', Math.max));
      const avg = backend.getAggregatingState(new AggregatingStateDescriptor('avg', AVERAGE));
      backend.setCurrentKey('k1');
      expect(max.get()).toBeUndefined();
      expect(avg.get()).toBeUndefined();
      for (const v of [3, 9, 6]) {
        max.add(v);
        avg.add(v);
      }
      backend.setCurrentKey('k2');
      max.add(-1);
      avg.add(10);
      backend.setCurrentKey('k1');
      expect([max.get(), avg.get()]).toEqual([9, 6]);
      max.clear();
      avg.clear();
      expect([max.get(), avg.get()]).toEqual([undefined, undefined]);
      backend.setCurrentKey('k2');
      expect([max.get(), avg.get()]).toEqual([-1, 10]);
    });

    it('returns the same state for the same name and refuses it under another kind', () => {
      expect(backend.getListState(new ListStateDescriptor('s'))).toBe(
        backend.getListState(new ListStateDescriptor('s')),
      );
      expect(() => backend.getState('s')).toThrow(StateError);
      expect(() => backend.getState('s')).toThrow(/state 's' is list state, not value state/);
    });

    it('names the operator when a key selector returns nothing, and refuses keys of other subtasks', () => {
      expect(() => backend.setCurrentKey(undefined)).toThrow(
        /operator 'test-op': the key selector returned undefined/,
      );
      expect(() => backend.setCurrentKey(null)).toThrow(/returned null/);
      const half = factory.create(variant, 0, 2);
      const foreign = Array.from({ length: 50 }, (_, i) => `key-${i}`).find((k) => {
        try {
          half.setCurrentKey(k);
          return false;
        } catch (err) {
          return err instanceof StateError;
        }
      });
      expect(foreign).toBeDefined();
      expect(() => half.setCurrentKey(foreign)).toThrow(/outside this subtask's key groups 0-63/);
    });

    it('tracks the key group of the current key', () => {
      backend.setCurrentKey('alpha');
      const group = backend.getCurrentKeyGroup();
      expect(group).toBeGreaterThanOrEqual(0);
      expect(group).toBeLessThan(128);
      expect(backend.getCurrentKey()).toBe('alpha');
    });

    it('snapshots what was there at the synchronous part, not later updates', async () => {
      const count = backend.getState<number>('count');
      backend.setCurrentKey('k');
      count.update(1);
      const snapshot = backend.snapshot(7);
      count.update(2);
      backend.setCurrentKey('later');
      count.update(5);
      const bytes = await snapshot.materialize();
      expect(snapshot.checkpointId).toBe(7);
      const restored = factory.create(variant);
      restored.restore([bytes]);
      const again = restored.getState<number>('count');
      restored.setCurrentKey('k');
      expect(again.value()).toBe(1);
      restored.setCurrentKey('later');
      expect(again.value()).toBeUndefined();
    });

    it('sees its own reads and writes in any order of keys, states and operations (against a model)', () => {
      // Backends may remember the current key's entry between calls; this drives value, map and
      // reducing state through random interleavings (same key again, key switches, removals,
      // restored snapshots) and compares every read with a plain model.
      const prng = new Prng(20261202);
      const keys: unknown[] = ['a', 'b', 1, '1', ['t', 2], { id: 3 }];
      const a = backend.getState(new ValueStateDescriptor<number>('a'));
      const b = backend.getState(new ValueStateDescriptor<number>('b'));
      const m = backend.getMapState(new MapStateDescriptor<string, number>('m'));
      const r = backend.getReducingState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
      const model = new Map<string, { a?: number; b?: number; m: Map<string, number>; r?: number }>();
      const at = (key: unknown) => {
        const id = JSON.stringify(key) + typeof key;
        if (!model.has(id)) model.set(id, { m: new Map() });
        return model.get(id)!;
      };
      let key: unknown = keys[0];
      backend.setCurrentKey(key);
      for (let step = 0; step < 5000; step++) {
        const expected = at(key);
        const n = prng.int(100);
        const user = `u${prng.int(3)}`;
        switch (prng.int(12)) {
          case 0:
            key = keys[prng.int(keys.length)];
            backend.setCurrentKey(key);
            break;
          case 1:
            a.update(n);
            expected.a = n;
            break;
          case 2:
            b.update(n);
            expected.b = n;
            break;
          case 3:
            a.clear();
            delete expected.a;
            break;
          case 4:
            m.put(user, n);
            expected.m.set(user, n);
            break;
          case 5:
            m.remove(user);
            expected.m.delete(user);
            break;
          case 6:
            m.clear();
            expected.m.clear();
            break;
          case 7:
            r.add(n);
            expected.r = (expected.r ?? 0) + n;
            break;
          case 8:
            r.clear();
            delete expected.r;
            break;
          default:
            break;
        }
        const now = at(key);
        expect([step, a.value(), b.value(), r.get(), m.get(user), m.isEmpty()]).toEqual([
          step,
          now.a,
          now.b,
          now.r,
          now.m.get(user),
          now.m.size === 0,
        ]);
      }
    });

    it('refuses bytes that are not a snapshot, naming the problem', () => {
      expect(() => backend.restore([Buffer.from('not msgpack at all \xc1')])).toThrow(StateError);
      expect(() => backend.restore([Buffer.from([0x81, 0xa1, 0x78, 0x01])])).toThrow(
        /not a sluice-keyed-state snapshot/,
      );
    });

    it('applies a function to every key of one state (applyToAllKeys), which may change or clear it', () => {
      const limits = new MapStateDescriptor<string, number>('limits');
      const count = new ValueStateDescriptor<number>('count');
      const keys: unknown[] = ['a', 7, { id: 1 }, ['t', 2], 'only-count'];
      for (const key of keys) {
        backend.setCurrentKey(key);
        backend.getState(count).update(1);
        if (key === 'only-count') continue;
        backend.getMapState(limits).put('x', 1);
        backend.getMapState(limits).put('y', 2);
      }
      const seen: unknown[] = [];
      backend.applyToAllKeys(limits, (key, state: ReturnType<typeof backend.getMapState<string, number>>) => {
        seen.push(key);
        expect(backend.getCurrentKey()).toEqual(key);
        state.remove('x');
        if (key === 7) state.clear();
      });
      const sortKey = (k: unknown) => JSON.stringify(k);
      expect(seen.map(sortKey).sort()).toEqual(
        keys
          .filter((k) => k !== 'only-count')
          .map(sortKey)
          .sort(),
      );
      const after: unknown[] = [];
      backend.applyToAllKeys(limits, (key, state: ReturnType<typeof backend.getMapState<string, number>>) =>
        after.push([key, state.entries()]),
      );
      expect(after.map(sortKey).sort()).toEqual(
        [['a'], [{ id: 1 }], [['t', 2]]].map(([k]) => sortKey([k, [['y', 2]]])).sort(),
      );
      let counted = 0;
      backend.applyToAllKeys(count, () => counted++);
      expect(counted).toBe(keys.length);
    });
  });
}
