import { InMemorySlotRegistry } from '../../runtime/coordination/embedded/in-memory-slot-registry';
import type { TaskManagerRecord } from '../../runtime/coordination/slot-registry';
import { ZERO_PROFILE } from '../../runtime/deployment/resource-profile';
import { describeSlotRegistryContract } from './slot-registry.contract';

// One process shares one embedded registry, so every handle in a test is the same instance.
describeSlotRegistryContract('InMemorySlotRegistry', () => {
  const registry = new InMemorySlotRegistry();
  return { open: async () => registry };
});

describe('InMemorySlotRegistry with an injected clock', () => {
  const record: TaskManagerRecord = {
    id: 'tm-1',
    dataHost: '127.0.0.1',
    dataPort: 6121,
    numberOfSlots: 2,
    totalResources: { ...ZERO_PROFILE, cpuCores: 2 },
    registeredAt: 0,
  };
  let now: number;
  let registry: InMemorySlotRegistry;

  beforeEach(() => {
    now = 1_000_000;
    registry = new InMemorySlotRegistry({ clock: () => now });
  });

  it('stamps leases from the clock and expires them exactly at leaseExpiresAt', async () => {
    await registry.registerTaskManager(record, 500);
    expect((await registry.listTaskManagers())[0]?.leaseExpiresAt).toBe(1_000_500);

    now = 1_000_499;
    expect(
      await registry.allocateSlot({ taskManagerId: 'tm-1', slotIndex: 0, allocationId: 'a', jobId: 'j' }),
    ).toBe(true);
    now = 1_000_500;
    expect(await registry.listTaskManagers()).toEqual([]);
    expect(await registry.heartbeat('tm-1', 500)).toBe(false);
  });

  it('heartbeat sets the lease to now + leaseMs', async () => {
    await registry.registerTaskManager(record, 500);
    now += 499;
    expect(await registry.heartbeat('tm-1', 1000)).toBe(true);
    expect((await registry.listTaskManagers())[0]?.leaseExpiresAt).toBe(now + 1000);
    now += 999;
    expect(await registry.listTaskManagers()).toHaveLength(1);
    now += 1;
    expect(await registry.listTaskManagers()).toHaveLength(0);
  });

  it('stays usable after close (nothing to release)', async () => {
    await registry.close();
    await registry.registerTaskManager(record, 500);
    expect(await registry.listTaskManagers()).toHaveLength(1);
  });
});
