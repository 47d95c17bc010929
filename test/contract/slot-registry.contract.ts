import type { SlotRegistry } from '../../runtime/coordination/slot-registry';
import { CoordinationError } from '../../runtime/errors';
import { RESOURCE_FIELDS, ZERO_PROFILE } from '../../runtime/deployment/resource-profile';
import { waitFor } from '../../runtime/util/wait';
import { describeConcurrencyContract } from './slot-registry-concurrency.contract';
import type { ContractHarness } from './slot-registry-fixtures';
import {
  alloc,
  LONG_LEASE_MS,
  profile,
  SHORT_LEASE_MS,
  tmRecord,
  TOTAL,
  usedResources,
} from './slot-registry-fixtures';

/** What an adapter's test file provides for one test. */
export interface SlotRegistryContractContext {
  /**
   * A handle on the registry under test. Every call within one test must reach the same
   * logical registry: networked adapters open a new connection per call (so concurrency is
   * real), embedded ones may return the same instance.
   */
  open(): Promise<SlotRegistry>;
  /** Runs after each test, once every opened handle was closed. */
  dispose?(): Promise<void>;
}

/**
 * The behaviour every SlotRegistry adapter must show (docs/architecture.md §4, §10). Leases are judged by
 * the adapter's clock (Redis server time or the process clock), so expiry is observed by
 * polling with `waitFor`, never by sleeping a fixed time.
 */
export function describeSlotRegistryContract(
  name: string,
  factory: () => SlotRegistryContractContext | Promise<SlotRegistryContractContext>,
): void {
  describe(`SlotRegistry contract: ${name}`, () => {
    let context: SlotRegistryContractContext;
    let handles: SlotRegistry[];
    let registry: SlotRegistry;

    const open = async (): Promise<SlotRegistry> => {
      const handle = await context.open();
      handles.push(handle);
      return handle;
    };
    const list = () => registry.listTaskManagers();
    const allocationsOf = async (tm: string) => (await list()).find((v) => v.id === tm)?.allocations;
    const harness: ContractHarness = { registry: () => registry, open, allocationsOf };

    beforeEach(async () => {
      handles = [];
      context = await factory();
      registry = await open();
    });

    afterEach(async () => {
      await Promise.all(handles.map((h) => h.close()));
      await context.dispose?.();
    });

    describe('registration', () => {
      it('starts empty', async () => {
        expect(await list()).toEqual([]);
      });

      it('lists live TaskManagers sorted by id, with their records and no allocations', async () => {
        const withSlotProfile = tmRecord('tm-c', { slotProfile: profile({ cpuCores: 0.5, heapMb: 256 }) });
        const before = Date.now();
        await registry.registerTaskManager(tmRecord('tm-b', { dataPort: 7001 }), LONG_LEASE_MS);
        await registry.registerTaskManager(withSlotProfile, LONG_LEASE_MS);
        await registry.registerTaskManager(tmRecord('tm-a', { dataHost: '10.0.0.7' }), LONG_LEASE_MS);
        const after = Date.now();

        const views = await list();
        expect(views.map((v) => v.id)).toEqual(['tm-a', 'tm-b', 'tm-c']);
        expect(views[0]).toEqual({
          ...tmRecord('tm-a', { dataHost: '10.0.0.7' }),
          allocations: [],
          leaseExpiresAt: expect.any(Number),
        });
        expect(views[1]).toMatchObject({ dataPort: 7001, allocations: [] });
        expect(views[2]).toMatchObject({ ...withSlotProfile, allocations: [] });
        expect(views[0]).not.toHaveProperty('slotProfile');
        for (const view of views) {
          // Redis stamps leases with its own clock; on one host it agrees with ours closely.
          expect(view.leaseExpiresAt).toBeGreaterThanOrEqual(before + LONG_LEASE_MS - 1000);
          expect(view.leaseExpiresAt).toBeLessThanOrEqual(after + LONG_LEASE_MS + 1000);
        }
      });

      it('re-registering replaces the record and drops the allocations', async () => {
        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0'))).toBe(true);
        expect(
          await registry.allocateSlot(alloc('tm-1', 1, 'a1', { profile: profile({ cpuCores: 1 }) })),
        ).toBe(true);

        await registry.registerTaskManager(
          tmRecord('tm-1', { dataPort: 9999, numberOfSlots: 2 }),
          LONG_LEASE_MS,
        );

        const views = await list();
        expect(views).toHaveLength(1);
        expect(views[0]).toMatchObject({ dataPort: 9999, numberOfSlots: 2, allocations: [] });
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a-new'))).toBe(true);
      });

      it('unregistering removes the TaskManager and its allocations, and is idempotent', async () => {
        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
        await registry.registerTaskManager(tmRecord('tm-2'), LONG_LEASE_MS);
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0'))).toBe(true);

        await registry.unregisterTaskManager('tm-1');
        await registry.unregisterTaskManager('tm-1');
        await registry.unregisterTaskManager('never-registered');

        expect((await list()).map((v) => v.id)).toEqual(['tm-2']);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'a1'))).toBe(false);
        expect(await registry.freeJobSlots('job-1')).toBe(0);
        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
        expect(await allocationsOf('tm-1')).toEqual([]);
      });

      it('rejects invalid leases and records with a terminal CoordinationError', async () => {
        for (const bad of [0, -1, 1.5, Number.NaN]) {
          await expect(registry.registerTaskManager(tmRecord('tm-1'), bad)).rejects.toBeInstanceOf(
            CoordinationError,
          );
          await expect(registry.heartbeat('tm-1', bad)).rejects.toMatchObject({ retryable: false });
        }
        await expect(registry.registerTaskManager(tmRecord(''), LONG_LEASE_MS)).rejects.toBeInstanceOf(
          CoordinationError,
        );
        await expect(
          registry.registerTaskManager(tmRecord('tm-1', { numberOfSlots: -1 }), LONG_LEASE_MS),
        ).rejects.toBeInstanceOf(CoordinationError);
        expect(await list()).toEqual([]);
      });
    });

    describe('leases', () => {
      it('heartbeat extends a live lease beyond its original expiry', async () => {
        const originalLeaseMs = 500;
        await registry.registerTaskManager(tmRecord('tm-1'), originalLeaseMs);
        const firstExpiry = (await list())[0]?.leaseExpiresAt ?? 0;
        expect(await registry.heartbeat('tm-1', LONG_LEASE_MS)).toBe(true);
        const extended = (await list())[0]?.leaseExpiresAt ?? 0;
        expect(extended).toBeGreaterThanOrEqual(firstExpiry + LONG_LEASE_MS - originalLeaseMs - 1000);

        // A canary registered later with the original lease shows that lease has run out.
        await registry.registerTaskManager(tmRecord('canary'), originalLeaseMs);
        await waitFor(async () => !(await list()).some((v) => v.id === 'canary'), {
          what: 'canary to expire',
        });
        expect((await list()).map((v) => v.id)).toEqual(['tm-1']);
      });

      it('heartbeat returns false for an unknown TaskManager and registers nothing', async () => {
        expect(await registry.heartbeat('ghost', LONG_LEASE_MS)).toBe(false);
        expect(await list()).toEqual([]);
      });

      it('an expired TaskManager is absent everywhere and never revived by heartbeat', async () => {
        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
        await registry.registerTaskManager(tmRecord('tm-2'), LONG_LEASE_MS);
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0'))).toBe(true);
        // Shortening the lease through heartbeat keeps the set-up independent of test speed.
        expect(await registry.heartbeat('tm-1', SHORT_LEASE_MS)).toBe(true);

        await waitFor(async () => (await list()).every((v) => v.id !== 'tm-1'), {
          what: 'tm-1 lease to expire',
        });

        expect((await list()).map((v) => v.id)).toEqual(['tm-2']);
        expect(await registry.heartbeat('tm-1', LONG_LEASE_MS)).toBe(false);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'a1'))).toBe(false);
        expect(await registry.freeSlot('tm-1', 0, 'a0')).toBe(false);
        expect(await registry.freeJobSlots('job-1')).toBe(0);
        expect((await list()).map((v) => v.id)).toEqual(['tm-2']);

        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
        expect(await allocationsOf('tm-1')).toEqual([]);
      });

      it('an expired TaskManager is hidden from a registry that did not see it expire', async () => {
        await registry.registerTaskManager(tmRecord('tm-1'), SHORT_LEASE_MS);
        const other = await open();
        await waitFor(async () => (await other.listTaskManagers()).length === 0, { what: 'lease to expire' });
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0'))).toBe(false);
        expect(await list()).toEqual([]);
      });
    });

    describe('allocation', () => {
      beforeEach(async () => {
        await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
      });

      it('allocates free slots and lists them by slot index', async () => {
        const known = profile({ cpuCores: 1.5, heapMb: 1024 });
        expect(await registry.allocateSlot(alloc('tm-1', 3, 'a3', { jobId: 'job-2', profile: known }))).toBe(
          true,
        );
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0'))).toBe(true);

        const allocations = await allocationsOf('tm-1');
        expect(allocations).toEqual([
          { taskManagerId: 'tm-1', slotIndex: 0, allocationId: 'a0', jobId: 'job-1' },
          { taskManagerId: 'tm-1', slotIndex: 3, allocationId: 'a3', jobId: 'job-2', profile: known },
        ]);
        expect(allocations?.[0]).not.toHaveProperty('profile');
      });

      it('rejects slot indexes out of range', async () => {
        for (const slot of [-1, 4, 100, 1.5]) {
          expect(await registry.allocateSlot(alloc('tm-1', slot, `a${slot}`))).toBe(false);
        }
        expect(await allocationsOf('tm-1')).toEqual([]);
      });

      it('rejects a taken slot; a retry by the holding allocation id succeeds', async () => {
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'first'))).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'second', { jobId: 'job-2' }))).toBe(false);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'first'))).toBe(true);
        expect((await allocationsOf('tm-1'))?.map((a) => a.allocationId)).toEqual(['first']);
      });

      it('refuses allocations fenced by a token lower than one already seen (a stale leader)', async () => {
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'old-0', { fencingToken: 4 }))).toBe(true);
        // A new leader (higher token) allocates; from then on the old leader's token is stale.
        const other = await open();
        expect(await other.allocateSlot(alloc('tm-1', 1, 'new-1', { fencingToken: 5 }))).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-1', 2, 'old-2', { fencingToken: 4 }))).toBe(false);
        expect(await registry.allocateSlot(alloc('tm-1', 2, 'new-2', { fencingToken: 5 }))).toBe(true);
        expect((await allocationsOf('tm-1'))?.map((a) => a.allocationId)).toEqual([
          'old-0',
          'new-1',
          'new-2',
        ]);
        expect((await allocationsOf('tm-1'))?.[1]).not.toHaveProperty('fencingToken');
      });

      it('rejects allocation on an unknown TaskManager', async () => {
        expect(await registry.allocateSlot(alloc('tm-unknown', 0, 'a0'))).toBe(false);
        expect((await list()).map((v) => v.id)).toEqual(['tm-1']);
      });

      it('rejects a known profile that exceeds the free resources, in any field', async () => {
        expect(
          await registry.allocateSlot(alloc('tm-1', 0, 'a0', { profile: profile({ cpuCores: 3 }) })),
        ).toBe(true);
        expect(
          await registry.allocateSlot(alloc('tm-1', 1, 'a1', { profile: profile({ cpuCores: 2 }) })),
        ).toBe(false);
        expect(
          await registry.allocateSlot(alloc('tm-1', 1, 'a1', { profile: profile({ cpuCores: 1 }) })),
        ).toBe(true);
        // cpu is now exhausted, but a profile needing none of it still fits…
        expect(
          await registry.allocateSlot(alloc('tm-1', 2, 'a2', { profile: profile({ heapMb: 4096 }) })),
        ).toBe(true);
        // …and any field over its total fails on its own.
        for (const field of RESOURCE_FIELDS) {
          const request = profile({
            [field]: 0.001 + (field === 'heapMb' || field === 'cpuCores' ? 0 : TOTAL[field]),
          });
          expect(await registry.allocateSlot(alloc('tm-1', 3, `a3-${field}`, { profile: request }))).toBe(
            false,
          );
        }
        expect(await registry.freeSlot('tm-1', 0, 'a0')).toBe(true);
        expect(
          await registry.allocateSlot(alloc('tm-1', 3, 'a3', { profile: profile({ cpuCores: 3 }) })),
        ).toBe(true);
        expect(usedResources((await allocationsOf('tm-1')) ?? [])).toEqual({
          ...ZERO_PROFILE,
          cpuCores: 4,
          heapMb: 4096,
        });
      });

      it('the unknown profile skips the resource check and is charged nothing', async () => {
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'a0', { profile: { ...TOTAL } }))).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'a1'))).toBe(true);
        expect(
          await registry.allocateSlot(alloc('tm-1', 2, 'a2', { profile: profile({ cpuCores: 0.1 }) })),
        ).toBe(false);
        expect(await registry.freeSlot('tm-1', 0, 'a0')).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-1', 2, 'a2', { profile: { ...TOTAL } }))).toBe(true);
      });

      it('frees a slot only with the allocation id that holds it', async () => {
        expect(await registry.allocateSlot(alloc('tm-1', 2, 'holder'))).toBe(true);
        expect(await registry.freeSlot('tm-1', 2, 'someone-else')).toBe(false);
        expect(await registry.freeSlot('tm-1', 1, 'holder')).toBe(false);
        expect(await registry.freeSlot('tm-unknown', 2, 'holder')).toBe(false);
        expect((await allocationsOf('tm-1'))?.map((a) => a.allocationId)).toEqual(['holder']);

        expect(await registry.freeSlot('tm-1', 2, 'holder')).toBe(true);
        expect(await registry.freeSlot('tm-1', 2, 'holder')).toBe(false);
        expect(await allocationsOf('tm-1')).toEqual([]);
        expect(await registry.allocateSlot(alloc('tm-1', 2, 'next'))).toBe(true);
      });

      it("freeJobSlots frees one job's slots on every TaskManager and nothing else", async () => {
        await registry.registerTaskManager(tmRecord('tm-2'), LONG_LEASE_MS);
        expect(await registry.allocateSlot(alloc('tm-1', 0, 'j1-a'))).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-1', 1, 'j2-a', { jobId: 'job-2' }))).toBe(true);
        expect(
          await registry.allocateSlot(alloc('tm-1', 3, 'j1-b', { profile: profile({ cpuCores: 1 }) })),
        ).toBe(true);
        expect(await registry.allocateSlot(alloc('tm-2', 0, 'j1-c'))).toBe(true);

        expect(await registry.freeJobSlots('job-1')).toBe(3);
        expect(await registry.freeJobSlots('job-1')).toBe(0);
        expect(await registry.freeJobSlots('job-unknown')).toBe(0);

        const views = await list();
        expect(views.map((v) => v.allocations.map((a) => a.allocationId))).toEqual([['j2-a'], []]);
      });

      it('returns copies: changing a returned view does not change the registry', async () => {
        expect(
          await registry.allocateSlot(alloc('tm-1', 0, 'a0', { profile: profile({ cpuCores: 1 }) })),
        ).toBe(true);
        const [view] = await list();
        if (view === undefined) throw new Error('expected one TaskManager');
        view.totalResources.cpuCores = 100;
        view.allocations.length = 0;
        const [fresh] = await list();
        expect(fresh?.totalResources.cpuCores).toBe(TOTAL.cpuCores);
        expect(fresh?.allocations).toHaveLength(1);
      });
    });

    describeConcurrencyContract(harness);
  });
}
