import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { InMemorySlotRegistry } from '../../../runtime/coordination/embedded/in-memory-slot-registry';
import { NoResourcesError } from '../../../runtime/errors';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';
import type { SlotWait } from '../../../runtime/jobmanager/slot-scheduler';
import { allocateSlots, describeSlotWait, slotRequests } from '../../../runtime/jobmanager/slot-scheduler';
import { waitFor } from '../../../runtime/util/wait';
import type { ResourceProfile } from '../../../runtime/deployment/resource-profile';

const profile = (cpuCores: number, heapMb: number): ResourceProfile => ({
  cpuCores,
  heapMb,
  directMb: 0,
  nativeMb: 0,
  networkMb: 0,
  managedMb: 0,
});

function jobGraph(build: (env: StreamExecutionEnvironment) => void) {
  const env = new StreamExecutionEnvironment({ chaining: false });
  build(env);
  return createJobGraph(streamGraphFromEnvironment('job', env));
}

async function registry(
  tms: { id: string; slots: number; total: ResourceProfile }[],
): Promise<InMemorySlotRegistry> {
  const r = new InMemorySlotRegistry();
  for (const tm of tms) {
    await r.registerTaskManager(
      {
        id: tm.id,
        dataHost: '127.0.0.1',
        dataPort: 1,
        numberOfSlots: tm.slots,
        totalResources: tm.total,
        registeredAt: 0,
      },
      60_000,
    );
  }
  return r;
}

describe('slot sharing and allocation', () => {
  it('needs as many slots as the highest parallelism per sharing group', () => {
    const g = jobGraph((env) => {
      const s = env.fromSequence(1, 10).setParallelism(2);
      s.map((x) => x)
        .setParallelism(3)
        .filter(() => true)
        .setParallelism(1);
      s.rebalance()
        .map((x) => x)
        .slotSharingGroup('heavy', profile(1, 256))
        .setParallelism(2);
    });
    const requests = slotRequests(g);
    expect(requests.filter((r) => r.group === 'default')).toHaveLength(3);
    expect(requests.filter((r) => r.group === 'heavy').map((r) => r.profile)).toEqual([
      profile(1, 256),
      profile(1, 256),
    ]);
  });

  it('spreads slots over TaskManagers and carves known profiles from free resources', async () => {
    const r = await registry([
      { id: 'a', slots: 4, total: profile(2, 1024) },
      { id: 'b', slots: 4, total: profile(2, 1024) },
    ]);
    const usable = () => r.listTaskManagers();
    const got = await allocateSlots(
      slotRequests(jobGraph((env) => env.fromSequence(1, 2).setParallelism(4).print())),
      r,
      usable,
      {
        jobId: 'j1',
        jobName: 'job',
        attempt: 0,
        timeoutMs: 100,
      },
    );
    expect(got.filter((s) => s.taskManagerId === 'a')).toHaveLength(2);
    expect(got.filter((s) => s.taskManagerId === 'b')).toHaveLength(2);
    expect(got[0]!.heapMb).toBe(256); // unknown profile: the TaskManager's heap per slot
    const heavy = jobGraph((env) =>
      env.fromSequence(1, 2).slotSharingGroup('big', profile(1.5, 100)).setParallelism(2).print(),
    );
    const big = await allocateSlots(slotRequests(heavy), r, usable, {
      jobId: 'j2',
      jobName: 'heavy',
      attempt: 0,
      timeoutMs: 100,
    });
    expect(new Set(big.map((s) => s.taskManagerId)).size).toBe(2); // 1.5 cores each: one per TaskManager
    expect(big[0]!.heapMb).toBe(100);
  });

  it("carries the leader's fencing token: a stale leader gets no slot once a newer one allocated", async () => {
    const r = await registry([{ id: 'a', slots: 4, total: profile(4, 512) }]);
    const g = jobGraph((env) => env.fromSequence(1, 2).setParallelism(2).print());
    const options = (jobId: string, token: number) => ({
      jobId,
      jobName: jobId,
      attempt: 0,
      timeoutMs: 150,
      pollMs: 20,
      fencingToken: () => token,
    });
    const usable = () => r.listTaskManagers();
    expect(await allocateSlots(slotRequests(g), r, usable, options('new', 7))).toHaveLength(2);
    await expect(allocateSlots(slotRequests(g), r, usable, options('stale', 6))).rejects.toBeInstanceOf(
      NoResourcesError,
    );
    const jobs = (await r.listTaskManagers())[0]!.allocations.map((a) => a.jobId);
    expect(jobs).toEqual(['new', 'new']);
  });

  it('waits, then fails naming the group, profile and number of missing slots, and frees what it got', async () => {
    const r = await registry([{ id: 'a', slots: 2, total: profile(2, 512) }]);
    const g = jobGraph((env) => env.fromSequence(1, 2).setParallelism(3).print());
    const failure = allocateSlots(slotRequests(g), r, () => r.listTaskManagers(), {
      jobId: 'j',
      jobName: 'too-big',
      attempt: 0,
      timeoutMs: 150,
      pollMs: 20,
    });
    await expect(failure).rejects.toBeInstanceOf(NoResourcesError);
    await expect(failure).rejects.toThrow(
      /job 'too-big'.*'default' needs 3 slots of any profile, 1 missing.*1 TaskManagers with 2 slots, 2 free/,
    );
    expect((await r.listTaskManagers())[0]!.allocations).toHaveLength(0);
  });

  it('holds no slot while a job waits for more than exist, lets a smaller job run, and takes them all once they appear', async () => {
    const r = await registry([{ id: 'a', slots: 2, total: profile(2, 512) }]);
    const usable = () => r.listTaskManagers();
    const waits: (SlotWait | undefined)[] = [];
    const big = allocateSlots(
      slotRequests(jobGraph((env) => env.fromSequence(1, 2).setParallelism(3).print())),
      r,
      usable,
      {
        jobId: 'big',
        jobName: 'big',
        attempt: 0,
        timeoutMs: 10_000,
        pollMs: 10,
        onWaiting: (w) => waits.push(w),
      },
    );
    await waitFor(() => waits.length >= 3, { timeoutMs: 5_000, what: 'the big job to wait' });
    expect(waits[0]).toEqual({ needed: 3, available: 2 });
    expect(describeSlotWait(waits[0]!)).toBe('waiting for slots: needs 3, 2 available');
    expect((await r.listTaskManagers())[0]!.allocations).toHaveLength(0);
    const small = await allocateSlots(
      slotRequests(jobGraph((env) => env.fromSequence(1, 2).setParallelism(2).print())),
      r,
      usable,
      { jobId: 'small', jobName: 'small', attempt: 0, timeoutMs: 100 },
    );
    expect(small).toHaveLength(2);
    await waitFor(() => waits.at(-1)?.available === 0, {
      timeoutMs: 5_000,
      what: 'the wait to show 0 available',
    });
    expect((await r.listTaskManagers())[0]!.allocations.every((a) => a.jobId === 'small')).toBe(true);
    await r.freeJobSlots('small');
    await r.registerTaskManager(
      {
        id: 'b',
        dataHost: '127.0.0.1',
        dataPort: 1,
        numberOfSlots: 1,
        totalResources: profile(1, 256),
        registeredAt: 0,
      },
      60_000,
    );
    const got = await big;
    expect(got).toHaveLength(3);
    expect(waits.at(-1)).toBeUndefined();
    const held = (await r.listTaskManagers()).flatMap((tm) => tm.allocations);
    expect(held.filter((a) => a.jobId === 'big')).toHaveLength(3);
  });

  it('gives back what it claimed when a slot of its plan was taken meanwhile, and retries', async () => {
    const r = await registry([{ id: 'a', slots: 2, total: profile(2, 512) }]);
    let raced = false;
    // A rival takes slot 1 between the plan (made on a stale view) and the claim, once.
    const stale = async () => {
      const views = await r.listTaskManagers();
      if (!raced) {
        raced = true;
        await r.allocateSlot({ taskManagerId: 'a', slotIndex: 1, allocationId: 'rival', jobId: 'rival' });
      }
      return views;
    };
    const waits: (SlotWait | undefined)[] = [];
    const job = allocateSlots(
      slotRequests(jobGraph((env) => env.fromSequence(1, 2).setParallelism(2).print())),
      r,
      stale,
      {
        jobId: 'j',
        jobName: 'j',
        attempt: 0,
        timeoutMs: 10_000,
        pollMs: 10,
        onWaiting: (w) => waits.push(w),
      },
    );
    await waitFor(() => waits.some((w) => w?.available === 1), { timeoutMs: 5_000, what: 'a wait' });
    const holders = (await r.listTaskManagers())[0]!.allocations.map((a) => a.jobId);
    expect(holders).toEqual(['rival']);
    await r.freeSlot('a', 1, 'rival');
    expect(await job).toHaveLength(2);
  });

  it('looks again at once when told a TaskManager registered, not after its poll interval', async () => {
    const r = new InMemorySlotRegistry();
    const g = jobGraph((env) => env.fromSequence(1, 2).setParallelism(2).print());
    const listeners = new Set<() => void>();
    let waits = 0;
    const job = allocateSlots(slotRequests(g), r, () => r.listTaskManagers(), {
      jobId: 'j',
      jobName: 'job',
      attempt: 0,
      timeoutMs: 120_000,
      // A poll far beyond the test's timeout: only the news can start the next round.
      pollMs: 60_000,
      onWaiting: (wait) => (waits += wait ? 1 : 0),
      onResourcesChanged: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    await waitFor(() => waits > 0, { what: 'the job to wait for slots' });
    await r.registerTaskManager(
      {
        id: 'a',
        dataHost: '127.0.0.1',
        dataPort: 1,
        numberOfSlots: 2,
        totalResources: profile(2, 512),
        registeredAt: 0,
      },
      60_000,
    );
    for (const listener of [...listeners]) listener();
    expect((await job).map((s) => s.taskManagerId)).toEqual(['a', 'a']);
    expect(listeners.size).toBe(0);
  });
});
