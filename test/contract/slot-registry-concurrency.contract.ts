import type { SlotAllocation } from '../../runtime/coordination/slot-registry';
import type { ResourceProfile } from '../../runtime/deployment/resource-profile';
import { addProfiles, profileFits, ZERO_PROFILE } from '../../runtime/deployment/resource-profile';
import type { ContractHarness } from './slot-registry-fixtures';
import { alloc, LONG_LEASE_MS, profile, tmRecord, TOTAL, usedResources } from './slot-registry-fixtures';

/**
 * Part of the slot registry contract: allocations racing from separate handles (separate
 * connections for Redis) must be serialized by the adapter, never by luck.
 */
export function describeConcurrencyContract(harness: ContractHarness): void {
  describe('concurrency', () => {
    it('of 20 concurrent allocations of one slot from separate handles, exactly one wins', async () => {
      await harness.registry().registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
      const contenders = await Promise.all(Array.from({ length: 20 }, () => harness.open()));

      const results = await Promise.all(
        contenders.map((handle, i) =>
          handle.allocateSlot(alloc('tm-1', 2, `contender-${i}`, { jobId: `job-${i}` })),
        ),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await harness.allocationsOf('tm-1')).toEqual([
        {
          taskManagerId: 'tm-1',
          slotIndex: 2,
          allocationId: `contender-${winner}`,
          jobId: `job-${winner}`,
        },
      ]);
    });

    it('concurrent allocations of different slots never exceed the resources together', async () => {
      await harness.registry().registerTaskManager(tmRecord('tm-1', { numberOfSlots: 12 }), LONG_LEASE_MS);
      const contenders = await Promise.all(Array.from({ length: 12 }, () => harness.open()));
      const each = profile({ cpuCores: 1, heapMb: 512 });

      const results = await Promise.all(
        contenders.map((handle, i) => handle.allocateSlot(alloc('tm-1', i, `a${i}`, { profile: each }))),
      );

      expect(results.filter(Boolean)).toHaveLength(4); // cpu 4 / 1 per slot
      const allocations = (await harness.allocationsOf('tm-1')) ?? [];
      expect(allocations.map((a) => a.allocationId).sort()).toEqual(
        results.flatMap((won, i) => (won ? [`a${i}`] : [])).sort(),
      );
      expect(usedResources(allocations)).toEqual({ ...ZERO_PROFILE, cpuCores: 4, heapMb: 2048 });
    });

    it('mixed concurrent profiles: the sum fits, and every rejected request did not fit', async () => {
      await harness.registry().registerTaskManager(tmRecord('tm-1', { numberOfSlots: 16 }), LONG_LEASE_MS);
      const shapes = [
        profile({ cpuCores: 1, heapMb: 512 }),
        profile({ cpuCores: 0.5, heapMb: 1500, managedMb: 300 }),
      ];
      const requests = Array.from({ length: 16 }, (_, i) =>
        alloc('tm-1', i, `m${i}`, { profile: shapes[i % 2], jobId: `job-${i % 3}` }),
      );
      const contenders = await Promise.all(requests.map(() => harness.open()));

      const results = await Promise.all(
        contenders.map((handle, i) => handle.allocateSlot(requests[i] as SlotAllocation)),
      );

      const used = usedResources((await harness.allocationsOf('tm-1')) ?? []);
      expect(profileFits(used, TOTAL)).toBe(true);
      expect(results.some(Boolean)).toBe(true);
      // Usage only grew during the race, so a request rejected then cannot fit now either.
      requests.forEach((request, i) => {
        if (results[i]) return;
        expect(profileFits(addProfiles(used, request.profile as ResourceProfile), TOTAL)).toBe(false);
      });
    });
  });
}
