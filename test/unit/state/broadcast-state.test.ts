import { Packr } from 'msgpackr';
import { InvalidJobError } from '../../../runtime/errors';
import { HeapBroadcastState } from '../../../runtime/state/broadcast-state';
import { OperatorStateBackend } from '../../../runtime/state/operator-state-backend';
import { decodeOperatorState, encodeOperatorSnapshot } from '../../../runtime/state/snapshot-format';
import { ListStateDescriptor, MapStateDescriptor } from '../../../runtime/state/state-descriptors';

const RULES = new MapStateDescriptor<string, number>('rules');

/** One old subtask's snapshot: its broadcast map, a split list and a union list. */
async function subtaskSnapshot(
  rules: [string, number][],
  split: number[],
  union: string[],
): Promise<Uint8Array> {
  const backend = new OperatorStateBackend('op');
  backend.getBroadcastState(RULES).putAll(rules);
  backend.getListState<number>('offsets').update(split);
  backend.getUnionListState<string>('seen').update(union);
  return backend.snapshot(1).materialize();
}

function restored(snapshots: Uint8Array[], subtask: number, parallelism: number): OperatorStateBackend {
  const backend = new OperatorStateBackend('op');
  backend.restore(snapshots, subtask, parallelism);
  return backend;
}

describe('broadcast state', () => {
  it('is a map with user keys matched by content, entries ordered by serialized key', () => {
    const state = new HeapBroadcastState<unknown, string>('rules');
    state.put({ a: 1 }, 'object');
    state.put('b', 'string');
    state.put(1, 'number');
    expect(state.get({ a: 1 })).toBe('object');
    expect(state.contains('1')).toBe(false);
    state.put({ a: 1 }, 'replaced');
    expect(state.values().sort()).toEqual(['number', 'replaced', 'string']);
    expect(state.keys()).toHaveLength(3);
    state.remove('b');
    expect(state.contains('b')).toBe(false);
    state.clear();
    expect(state.isEmpty()).toBe(true);
    expect(() => state.put(undefined, 'x')).toThrow(/broadcast state 'rules': a key cannot be undefined/);
  });

  it('has a read-only view that reads through and refuses every change with a clear error', () => {
    const state = new HeapBroadcastState<string, number>('rules');
    const view = state.readOnly();
    state.put('a', 1);
    expect(view.get('a')).toBe(1);
    expect(view.entries()).toEqual([['a', 1]]);
    for (const method of ['put', 'putAll', 'remove', 'clear']) {
      const call = () => (view as unknown as Record<string, (...a: unknown[]) => void>)[method]!('a', 2);
      expect(call).toThrow(InvalidJobError);
      expect(call).toThrow(
        new RegExp(`broadcast state 'rules' is read-only in processElement \\(${method} called\\)`),
      );
    }
    expect(state.get('a')).toBe(1);
  });

  it('snapshots the map as it was at the synchronous part', async () => {
    const backend = new OperatorStateBackend('op');
    const rules = backend.getBroadcastState(RULES);
    rules.put('a', 1);
    const snapshot = backend.snapshot(2);
    rules.put('b', 2);
    const back = restored([await snapshot.materialize()], 0, 1);
    expect(back.getBroadcastState(RULES).entries()).toEqual([['a', 1]]);
  });

  it('gives every subtask one whole copy on restore at any parallelism; union lists whole, split lists split', async () => {
    const snapshots = [
      await subtaskSnapshot(
        [
          ['x', 1],
          ['y', 2],
        ],
        [1, 2, 3],
        ['s0'],
      ),
      await subtaskSnapshot(
        [
          ['x', 1],
          ['y', 2],
        ],
        [4],
        ['s1'],
      ),
    ];
    for (const parallelism of [1, 2, 3, 5]) {
      const split: number[] = [];
      for (let subtask = 0; subtask < parallelism; subtask++) {
        const back = restored(snapshots, subtask, parallelism);
        expect(back.getBroadcastState(RULES).entries()).toEqual([
          ['x', 1],
          ['y', 2],
        ]);
        expect(back.getUnionListState<string>('seen').get()).toEqual(['s0', 's1']);
        split.push(...back.getListState<number>('offsets').get());
      }
      expect(split).toEqual([1, 2, 3, 4]);
    }
  });

  it('refuses a state name used with another mode', async () => {
    const backend = new OperatorStateBackend('op');
    backend.getBroadcastState(RULES);
    expect(() => backend.getListState('rules')).toThrow(
      /operator 'op': state 'rules' is a broadcast state, not operator list state/,
    );
    backend.getListState(new ListStateDescriptor<number>('offsets'));
    expect(() => backend.getUnionListState('offsets')).toThrow(
      /state 'offsets' is an operator list state, not union list state/,
    );
    const back = restored([await subtaskSnapshot([['x', 1]], [], [])], 0, 1);
    expect(() => back.getListState('seen')).toThrow(
      /state 'seen' is a union list state, not operator list state/,
    );
  });

  it('writes and reads version 1 operator snapshots (split lists only)', () => {
    const v2 = decodeOperatorState(encodeOperatorSnapshot([['a', [1]]], [['a', 'union']]));
    expect(v2.modes.get('a')).toBe('union');
    // Split lists only: still version 1, which earlier Sluice reads.
    const splitOnly = new Packr({ useRecords: false }).unpack(encodeOperatorSnapshot([['a', [1]]])) as object;
    expect(splitOnly).toMatchObject({ version: 1 });
    // A version 1 body, as Sluice wrote it before broadcast state: no modes, every list split.
    const v1 = new Packr({ useRecords: false }).pack({
      format: 'sluice-operator-state',
      version: 1,
      lists: [['a', [1, 2]]],
    });
    const back = restored([v1, v1], 1, 2);
    expect(back.getListState<number>('a').get()).toEqual([1, 2]);
  });
});
