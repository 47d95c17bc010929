import { StateError } from '../../../runtime/errors';
import { OperatorStateBackend, splitDistribute } from '../../../runtime/state/operator-state-backend';
import { ListStateDescriptor } from '../../../runtime/state/state-descriptors';

async function snapshotOf(lists: Record<string, number[]>): Promise<Uint8Array> {
  const backend = new OperatorStateBackend('source');
  for (const [name, values] of Object.entries(lists)) backend.getListState<number>(name).update(values);
  return backend.snapshot(1).materialize();
}

function restored(snapshots: Uint8Array[], subtask: number, parallelism: number): OperatorStateBackend {
  const backend = new OperatorStateBackend('source');
  backend.restore(snapshots, subtask, parallelism);
  return backend;
}

describe('operator list state', () => {
  it('keeps a list per name: add, addAll, update, clear, get returns a copy', () => {
    const backend = new OperatorStateBackend('sink');
    const offsets = backend.getListState(new ListStateDescriptor<number>('offsets'));
    offsets.add(1);
    offsets.addAll([2, 3]);
    offsets.get().push(99);
    expect(offsets.get()).toEqual([1, 2, 3]);
    offsets.update([7]);
    expect(backend.getListState<number>('offsets').get()).toEqual([7]);
    offsets.clear();
    expect(offsets.get()).toEqual([]);
    expect(() => backend.getListState('')).toThrow(/operator 'sink': operator list state needs a name/);
  });

  it('snapshots the lists as they were at the synchronous part', async () => {
    const backend = new OperatorStateBackend('source');
    const list = backend.getListState<string>('pending');
    list.add('a');
    const snapshot = backend.snapshot(3);
    list.add('b');
    const back = restored([await snapshot.materialize()], 0, 1);
    expect(back.getListState<string>('pending').get()).toEqual(['a']);
  });

  it('gives each subtask its own lists back at the same parallelism', async () => {
    const snapshots = [await snapshotOf({ o: [1, 2] }), await snapshotOf({ o: [3] })];
    expect(restored(snapshots, 0, 2).getListState<number>('o').get()).toEqual([1, 2]);
    expect(restored(snapshots, 1, 2).getListState<number>('o').get()).toEqual([3]);
  });

  it.each([
    [3, 2],
    [2, 5],
    [4, 1],
  ])(
    'redistributes %i subtasks` lists over %i without losing or duplicating an element',
    async (from, to) => {
      const snapshots = await Promise.all(
        [...Array(from).keys()].map((i) =>
          snapshotOf({ o: [...Array(i + 2).keys()].map((j) => i * 100 + j), x: [i] }),
        ),
      );
      const all = { o: [] as number[], x: [] as number[] };
      const sizes: number[] = [];
      for (let i = 0; i < to; i++) {
        const backend = restored(snapshots, i, to);
        const o = backend.getListState<number>('o').get();
        all.o.push(...o);
        all.x.push(...backend.getListState<number>('x').get());
        sizes.push(o.length);
      }
      const expectedO = [...Array(from).keys()].flatMap((i) =>
        [...Array(i + 2).keys()].map((j) => i * 100 + j),
      );
      expect(all.o).toEqual(expectedO);
      expect(all.x).toEqual([...Array(from).keys()]);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    },
  );

  it('splits evenly into contiguous parts', () => {
    expect(splitDistribute([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    expect(splitDistribute([1], 3)).toEqual([[], [], [1]]);
  });

  it('refuses bytes that are not an operator state snapshot', () => {
    expect(() => restored([Buffer.from([0x90])], 0, 1)).toThrow(StateError);
  });
});
