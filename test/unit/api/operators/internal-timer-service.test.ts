import type { Timer } from '../../../../runtime/api/operators/internal-timer-service';
import { InternalTimerService } from '../../../../runtime/api/operators/internal-timer-service';
import type { KeyedStateBackend } from '../../../../runtime/state/keyed-state-backend';
import { BACKEND_VARIANTS, BackendFactory } from '../../../contract/keyed-state-fixtures';

/** Timers live in memory between snapshots; a snapshot must still hold exactly the live ones. */
describe.each(BACKEND_VARIANTS)('internal timer service on $name', (variant) => {
  const factory = new BackendFactory();
  afterAll(() => factory.disposeAll());

  const clock = { now: () => 0, schedule: () => () => undefined };
  /** A timer service whose fired timers (with the backend's current key at the time) are collected. */
  const service = (backend: KeyedStateBackend) => {
    const fired: [number, unknown, unknown, unknown][] = [];
    const onFire = (t: Timer<unknown>) =>
      fired.push([t.timestamp, t.key, t.namespace, backend.getCurrentKey()]);
    return { timers: new InternalTimerService<unknown>('t', backend, clock, onFire, onFire), fired };
  };
  const snapshotOf = async (backend: KeyedStateBackend, id: number) => backend.snapshot(id).materialize();
  const restored = async (bytes: Uint8Array) => {
    const backend = factory.create(variant);
    backend.restore([bytes]);
    const s = service(backend);
    s.timers.restoreTimers();
    return s;
  };

  it('restores exactly the timers live at the snapshot, de-duplicated, and fires them in time order', async () => {
    const backend = factory.create(variant);
    const { timers, fired } = service(backend);
    const register = (key: unknown, namespace: unknown, time: number) => {
      backend.setCurrentKey(key);
      timers.registerEventTimeTimer(namespace, time);
    };
    register('a', null, 30);
    register('a', null, 30); // the same timer again
    register(7, [0, 10], 9);
    register({ b: 2, a: 1 }, null, 20);
    register('gone', null, 5);
    backend.setCurrentKey('gone');
    timers.deleteEventTimeTimer(null, 5);
    register('early', null, 1);
    timers.advanceWatermark(1); // fires 'early' before any snapshot: it never reaches the backend
    expect(fired).toEqual([[1, 'early', null, 'early']]);
    backend.setCurrentKey(7); // a snapshot writes timers under other keys; the current key comes back
    const bytes = await snapshotOf(backend, 1);
    expect(backend.getCurrentKey()).toBe(7);

    const again = await restored(bytes);
    again.timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(again.fired).toEqual([
      [9, 7, [0, 10], 7],
      [20, { b: 2, a: 1 }, null, { b: 2, a: 1 }],
      [30, 'a', null, 'a'],
    ]);
  });

  it('a timer stored by one snapshot and deleted before the next is gone from the next', async () => {
    const backend = factory.create(variant);
    const { timers } = service(backend);
    backend.setCurrentKey('k');
    timers.registerEventTimeTimer(null, 100);
    timers.registerEventTimeTimer(null, 200);
    await snapshotOf(backend, 1);
    backend.setCurrentKey('k');
    timers.deleteEventTimeTimer(null, 100);
    timers.registerEventTimeTimer(null, 300);
    const second = await restored(await snapshotOf(backend, 2));
    second.timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(second.fired.map(([time]) => time)).toEqual([200, 300]);
  });

  it('a timer deleted and registered again between snapshots stays stored', async () => {
    const backend = factory.create(variant);
    const { timers } = service(backend);
    backend.setCurrentKey(1);
    timers.registerEventTimeTimer(null, 50);
    await snapshotOf(backend, 1);
    backend.setCurrentKey(1);
    timers.deleteEventTimeTimer(null, 50);
    timers.registerEventTimeTimer(null, 50);
    const second = await restored(await snapshotOf(backend, 2));
    second.timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(second.fired).toEqual([[50, 1, null, 1]]);
  });

  it('names a timer of a frozen window id and of an equal plain array alike, for any key in between', async () => {
    const backend = factory.create(variant);
    const { timers } = service(backend);
    const window = Object.freeze([0, 10]);
    backend.setCurrentKey(1);
    timers.registerEventTimeTimer(window, 9);
    timers.registerEventTimeTimer([0, 10], 9); // the same timer
    backend.setCurrentKey(2);
    timers.registerEventTimeTimer(window, 9); // another key's
    backend.setCurrentKey(1);
    timers.deleteEventTimeTimer([0, 10], 9);
    // Registered and deleted between snapshots, again and again: nothing of them is stored.
    for (let t = 100; t < 110; t++) {
      timers.registerEventTimeTimer(window, t);
      timers.deleteEventTimeTimer(window, t);
    }
    const again = await restored(await snapshotOf(backend, 1));
    again.timers.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(again.fired).toEqual([[9, 2, [0, 10], 2]]);
  });
});
