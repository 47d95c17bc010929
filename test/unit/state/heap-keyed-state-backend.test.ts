import { keyGroupRangeForSubtask } from '../../../runtime/graph/key-groups';
import { HeapKeyedStateBackend } from '../../../runtime/state/heap/heap-keyed-state-backend';

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
});
