/**
 * Session windows keep a key's sessions in one value (`_sessions`); snapshots taken before kept
 * them in a map (`_windows`). A restore of such a snapshot must carry the sessions over, not drop them.
 */
import { EventTimeSessionWindows } from '../../../../runtime/api';
import { InternalTimerService } from '../../../../runtime/api/operators/internal-timer-service';
import type { OperatorContext } from '../../../../runtime/api/operators/stream-operator';
import { WindowOperator } from '../../../../runtime/api/operators/window-operator';
import { keyGroupRangeForSubtask } from '../../../../runtime/graph/key-groups';
import { HeapKeyedStateBackend } from '../../../../runtime/state/heap/heap-keyed-state-backend';
import { OperatorStateBackend } from '../../../../runtime/state/operator-state-backend';
import { MapStateDescriptor } from '../../../../runtime/state/state-descriptors';

const RANGE = keyGroupRangeForSubtask(128, 1, 0);
const idle = { now: () => 0, schedule: () => () => undefined };

/** What the earlier window operator left for key `k`: session [1000, 1500) holding 2 records, its timer. */
async function legacySnapshot(): Promise<Uint8Array> {
  const old = new HeapKeyedStateBackend(128, RANGE, 'sessions');
  const timers = new InternalTimerService<[number, number]>(
    'window',
    old,
    idle,
    () => undefined,
    () => undefined,
  );
  old.setCurrentKey('k');
  const id = Object.freeze([1000, 1500]) as [number, number];
  old.getMapState(new MapStateDescriptor<[number, number], true>('_windows')).put(id, true);
  old.getMapState(new MapStateDescriptor<[number, number], number>('_window-contents')).put(id, 2);
  timers.registerEventTimeTimer(id, 1499);
  return old.snapshot(1).materialize();
}

it('sessions of a snapshot taken before `_sessions` existed are restored and merge with new records', async () => {
  const backend = new HeapKeyedStateBackend(128, RANGE, 'sessions');
  backend.restore([await legacySnapshot()]);
  const recordTimestamp: { value: number | undefined } = { value: undefined };
  const out: string[] = [];
  const op = new WindowOperator<number>(
    (r) => (r as { key: string }).key,
    {
      add: (acc) => (acc ?? 0) + 1,
      merge: (a, b) => a + b,
      emit: (key, w, count, o) => o.collect(`${String(key)} ${w.start}-${w.end}: ${count}`),
    },
    {
      assigner: EventTimeSessionWindows.withGap(500),
      trigger: undefined,
      allowedLatenessMs: 0,
      lateDataTag: undefined,
    },
  );
  op.output = { collect: (r) => out.push(r as string) };
  op.sideOutput = { emit: () => undefined };
  op.watermarks = { emitWatermark: () => undefined, emitStatus: () => undefined };
  op.initializeState({
    keyedStateBackend: backend,
    operatorStateBackend: new OperatorStateBackend('sessions'),
    isRestored: true,
  });
  await op.open({
    operatorName: 'sessions',
    keyedState: backend,
    recordTimestamp,
    processingTime: idle,
  } as unknown as OperatorContext);
  recordTimestamp.value = 1200; // inside the restored session: [1000, 1700) after the merge
  op.processElement({ key: 'k' });
  op.processWatermark(5000);
  expect(out).toEqual(['k 1000-1700: 3']);
});
