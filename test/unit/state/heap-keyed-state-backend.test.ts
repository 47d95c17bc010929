import { keyGroupRangeForSubtask } from '../../../runtime/graph/key-groups';
import { HeapKeyedStateBackend } from '../../../runtime/state/heap/heap-keyed-state-backend';
import { MapStateDescriptor } from '../../../runtime/state/state-descriptors';

/** Heap specifics; the behaviour every backend shares is test/contract/keyed-state-backend.contract.ts. */
describe('heap keyed state backend', () => {
  const backend = (): HeapKeyedStateBackend =>
    new HeapKeyedStateBackend(128, keyGroupRangeForSubtask(128, 1, 0), 'op');

  it('scopes value state to the current key, telling 1 from "1" and equal objects apart from order', () => {
    const b = backend();
    const count = b.getState<number>('count');
    for (const key of [1, '1', { a: 1, b: 2 }, { b: 2, a: 1 }, 'x']) {
      b.setCurrentKey(key);
      count.update((count.value() ?? 0) + 1);
    }
    b.setCurrentKey(1);
    expect(count.value()).toBe(1);
    b.setCurrentKey('1');
    expect(count.value()).toBe(1);
    b.setCurrentKey({ a: 1, b: 2 });
    expect(count.value()).toBe(2); // same object key in another property order
    expect(b.countKeys()).toBe(4);
    b.setCurrentKey('x');
    count.clear();
    expect(count.value()).toBeUndefined();
  });

  it('names the operator when a key selector returns nothing', () => {
    expect(() => backend().setCurrentKey(undefined)).toThrow(
      /operator 'op': the key selector returned undefined/,
    );
    expect(() => backend().setCurrentKey(null)).toThrow(/returned null/);
  });

  it('keeps map user keys that are arrays of numbers (windows, timers) equal by content, apart from look-alikes', () => {
    const b = backend();
    const map = b.getMapState<unknown, string>(new MapStateDescriptor('m'));
    b.setCurrentKey('k');
    map.put([0, 10], 'window');
    map.put([5, 'k', [0, 10]], 'timer');
    map.put([1, [2, 3]], 'nested');
    map.put(['0', 10], 'strings');
    map.put('0,10', 'plain string');
    expect(map.get([-0, 10])).toBe('window'); // -0 serializes as 0: one key
    expect(map.get([5, 'k', [0, 10]])).toBe('timer');
    expect(map.get([1, [2, 3]])).toBe('nested');
    expect(map.get([1, 2, 3])).toBeUndefined();
    expect(map.get([[1, 2], 3])).toBeUndefined();
    expect(map.get(['0', 10])).toBe('strings');
    expect(map.get('0,10')).toBe('plain string');
    expect(map.entries()).toHaveLength(5);
    map.remove([0, 10]);
    expect(map.contains([0, 10])).toBe(false);
  });

  it('finds a frozen window id and an equal plain array as one key, across many windows in turn', () => {
    const b = backend();
    const map = b.getMapState<unknown, number>(new MapStateDescriptor('w'));
    b.setCurrentKey('k');
    // More windows than are remembered by identity, each frozen once and used again later.
    const ids = Array.from({ length: 20 }, (_, i) => Object.freeze([i * 10, i * 10 + 10]));
    for (const [i, id] of ids.entries()) map.put(id, i);
    for (const [i, id] of ids.entries()) {
      expect(map.get(id)).toBe(i);
      expect(map.get([i * 10, i * 10 + 10])).toBe(i);
    }
    map.put([0, 10], 100);
    expect(map.get(ids[0])).toBe(100);
    expect(map.entries()).toHaveLength(20);
  });
});
