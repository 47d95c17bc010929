import { SelectedInputs } from '../../../../runtime/api/operators/input-selection';
import type { InputSelection } from '../../../../runtime/api/two-input-functions';
import { keyGroupRangeForSubtask } from '../../../../runtime/graph/key-groups';
import { HeapKeyedStateBackend } from '../../../../runtime/state/heap/heap-keyed-state-backend';
import { OperatorStateBackend } from '../../../../runtime/state/operator-state-backend';

type Seen = [input: number, record: unknown, timestamp: number | undefined];

/** SelectedInputs over real state backends, recording what reaches the operator and its event time. */
function harness(store: 'keyed' | 'operator', restoreFrom?: Uint8Array, subtask = 0, parallelism = 1) {
  let selection: InputSelection = 'first';
  const seen: Seen[] = [];
  const watermarks: number[] = [];
  const keyed = new HeapKeyedStateBackend(128, keyGroupRangeForSubtask(128, parallelism, subtask), 'op');
  const operator = new OperatorStateBackend('op');
  if (restoreFrom) {
    if (store === 'keyed') keyed.restore([restoreFrom]);
    else operator.restore([restoreFrom], 0, 1);
  }
  const inputs = new SelectedInputs(
    { nextSelection: () => selection },
    store === 'keyed' ? { keyed } : { operator },
    restoreFrom !== undefined,
    (record) => store === 'keyed' && keyed.setCurrentKey(String(record).split('-')[0]),
    (record, input, timestamp) => seen.push([input, record, timestamp]),
    (w) => watermarks.push(w),
  );
  const snapshot = () => (store === 'keyed' ? keyed.snapshot(1) : operator.snapshot(1)).materialize();
  return { inputs, seen, watermarks, snapshot, select: (s: InputSelection) => (selection = s) };
}

describe('input selection (SelectedInputs)', () => {
  it.each(['keyed', 'operator'] as const)(
    'holds records of the input not selected, in order, and hands them over first once selected (%s)',
    (store) => {
      const h = harness(store);
      h.inputs.onRecord('a-1', 1, 10);
      h.inputs.onRecord('b-1', 0, 5);
      h.inputs.onRecord('a-2', 1, 11);
      expect(h.seen).toEqual([[0, 'b-1', 5]]);
      h.select('all');
      h.inputs.onRecord('a-3', 1, 12); // behind the buffered ones of its input
      expect(h.seen).toEqual([
        [0, 'b-1', 5],
        [1, 'a-1', 10],
        [1, 'a-2', 11],
        [1, 'a-3', 12],
      ]);
    },
  );

  it('the end of the only selected input widens the selection; watermarks wait for the buffered records', () => {
    const h = harness('keyed');
    h.inputs.onWatermark(1);
    h.inputs.onRecord('a-1', 1, 10);
    h.inputs.onWatermark(20);
    expect(h.watermarks).toEqual([1]); // held: a-1 (t=10) still waits
    h.inputs.onEndInput(0);
    expect(h.seen).toEqual([[1, 'a-1', 10]]);
    expect(h.watermarks).toEqual([1, 20]);
  });

  it.each(['keyed', 'operator'] as const)(
    'buffered records are state: a snapshot restored elsewhere hands them over exactly once (%s)',
    async (store) => {
      const h = harness(store);
      for (let n = 0; n < 50; n++) h.inputs.onRecord(`k${n % 7}-${n}`, 1, n);
      const bytes = await h.snapshot();
      h.inputs.onRecord('k1-late', 1, 99); // after the snapshot: not in it
      const restored = harness(store, bytes);
      restored.inputs.drainAll();
      const expected = Array.from({ length: 50 }, (_, n) => `k${n % 7}-${n}`);
      expect(restored.seen.map(([, r]) => r).sort()).toEqual(expected.sort());
      // Per key, arrival order is kept.
      const ofKey = (k: string) =>
        restored.seen.map(([, r]) => String(r)).filter((r) => r.startsWith(`${k}-`));
      expect(ofKey('k3')).toEqual(
        expected
          .filter((r) => r.startsWith('k3-'))
          .sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1])),
      );
      expect(restored.seen.every(([input]) => input === 1)).toBe(true);
    },
  );

  it('rescaled, each subtask gets the buffered records of its own key groups', async () => {
    const h = harness('keyed');
    for (let n = 0; n < 200; n++) h.inputs.onRecord(`k${n % 31}-${n}`, 1, n);
    const bytes = await h.snapshot();
    const parts = [0, 1].map((subtask) => {
      const r = harness('keyed', bytes, subtask, 2);
      r.inputs.drainAll();
      return r.seen.map(([, record]) => String(record));
    });
    expect(parts[0]!.length).toBeGreaterThan(0);
    expect(parts[1]!.length).toBeGreaterThan(0);
    expect([...parts[0]!, ...parts[1]!].sort()).toEqual(
      Array.from({ length: 200 }, (_, n) => `k${n % 31}-${n}`).sort(),
    );
  });

  it('names a selection that is not one of InputSelection', () => {
    const h = harness('operator');
    h.select('both' as InputSelection);
    expect(() => h.inputs.onRecord('a-1', 1, 1)).toThrow(/nextSelection\(\) returned "both"/);
  });
});
