import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CONNECTION_NAME, RedisSlotRegistry } from '../../runtime/coordination/redis/redis-slot-registry';
import type { TaskManagerRecord } from '../../runtime/coordination/slot-registry';
import { CoordinationError, DependencyUnavailableError } from '../../runtime/errors';
import { ZERO_PROFILE } from '../../runtime/deployment/resource-profile';
import { waitFor } from '../../runtime/util/wait';
import type { RedisServer } from '../helpers/redis-server';
import { startRedis } from '../helpers/redis-server';
import { describeSlotRegistryContract } from './slot-registry.contract';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

const uniquePrefix = (): string => `test-${randomUUID().slice(0, 8)}`;

// Each test gets its own key prefix; each handle its own connection.
describeSlotRegistryContract('RedisSlotRegistry', () => {
  const keyPrefix = uniquePrefix();
  return { open: async () => new RedisSlotRegistry({ url: server.url, keyPrefix }) };
});

describe('RedisSlotRegistry specifics', () => {
  const record: TaskManagerRecord = {
    id: 'tm-1',
    dataHost: '127.0.0.1',
    dataPort: 6121,
    numberOfSlots: 2,
    totalResources: { ...ZERO_PROFILE, cpuCores: 2 },
    registeredAt: 0,
  };
  let prefix: string;
  let registry: RedisSlotRegistry;
  let raw: Redis;

  beforeEach(() => {
    prefix = uniquePrefix();
    registry = new RedisSlotRegistry({ url: server.url, keyPrefix: prefix });
    raw = new Redis(server.url);
  });

  afterEach(async () => {
    await registry.close();
    await raw.quit();
  });

  const keysUnderPrefix = async (): Promise<string[]> => (await raw.keys(`${prefix}:*`)).sort();

  it('keeps every key under its prefix, in the documented layout', async () => {
    await registry.registerTaskManager(record, 60_000);
    expect(
      await registry.allocateSlot({ taskManagerId: 'tm-1', slotIndex: 1, allocationId: 'a1', jobId: 'j' }),
    ).toBe(true);

    expect(await keysUnderPrefix()).toEqual([`${prefix}:alloc:tm-1`, `${prefix}:tm:tm-1`, `${prefix}:tms`]);
    expect(await raw.hget(`${prefix}:alloc:tm-1`, '1')).toBe('{"allocationId":"a1","jobId":"j"}');
    expect(JSON.parse((await raw.hget(`${prefix}:tm:tm-1`, 'totalResources')) ?? '')).toEqual(
      record.totalResources,
    );

    await registry.unregisterTaskManager('tm-1');
    expect(await keysUnderPrefix()).toEqual([]);
  });

  it('stamps leases with the Redis server clock', async () => {
    const [seconds, micros] = await raw.time();
    const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await registry.registerTaskManager(record, 60_000);
    const expiry = (await registry.listTaskManagers())[0]?.leaseExpiresAt ?? 0;
    expect(expiry - 60_000 - serverNow).toBeGreaterThanOrEqual(0);
    expect(expiry - 60_000 - serverNow).toBeLessThan(1000);
    expect(await raw.zscore(`${prefix}:tms`, 'tm-1')).toBe(String(expiry));
  });

  it('deletes the keys of an expired TaskManager lazily', async () => {
    await registry.registerTaskManager(record, 60_000);
    expect(
      await registry.allocateSlot({ taskManagerId: 'tm-1', slotIndex: 0, allocationId: 'a0', jobId: 'j' }),
    ).toBe(true);
    expect(await registry.heartbeat('tm-1', 100)).toBe(true);
    expect(await keysUnderPrefix()).toHaveLength(3);
    await waitFor(async () => (await registry.listTaskManagers()).length === 0, { what: 'lease to expire' });
    expect(await keysUnderPrefix()).toEqual([]);
  });

  it('reloads its scripts after the server forgot them', async () => {
    await registry.registerTaskManager(record, 60_000);
    await raw.script('FLUSH');
    expect(
      await registry.allocateSlot({ taskManagerId: 'tm-1', slotIndex: 0, allocationId: 'a0', jobId: 'j' }),
    ).toBe(true);
  });

  it('close() quits its connection; later calls fail with a CoordinationError', async () => {
    await registry.listTaskManagers();
    const namedClients = async () =>
      ((await raw.client('LIST')) as string).split('\n').filter((l) => l.includes(`name=${CONNECTION_NAME}`));
    const before = (await namedClients()).length;
    expect(before).toBeGreaterThanOrEqual(1);
    await registry.close();
    await waitFor(async () => (await namedClients()).length === before - 1, { what: 'connection to close' });
    await expect(registry.listTaskManagers()).rejects.toBeInstanceOf(CoordinationError);
    await registry.close();
  });

  it('reports corrupted registry data as a terminal CoordinationError', async () => {
    await registry.registerTaskManager(record, 60_000);
    await raw.hset(`${prefix}:alloc:tm-1`, '0', 'not json');
    const request = {
      taskManagerId: 'tm-1',
      slotIndex: 1,
      allocationId: 'a1',
      jobId: 'j',
      profile: ZERO_PROFILE,
    };
    await expect(registry.allocateSlot(request)).rejects.toMatchObject({
      code: 'SLUICE_COORDINATION',
      retryable: false,
    });
    await expect(registry.listTaskManagers()).rejects.toBeInstanceOf(CoordinationError);
  });

  it('reports an unreachable Redis at once as a retryable error naming its address', async () => {
    const doomed = await startRedis();
    const cut = new RedisSlotRegistry({ url: doomed.url, keyPrefix: prefix });
    try {
      await cut.registerTaskManager(record, 60_000);
      await doomed.stop();
      const failure = await cut.listTaskManagers().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(DependencyUnavailableError);
      expect(failure).toMatchObject({ code: 'SLUICE_UNAVAILABLE', retryable: true });
      expect((failure as Error).message).toMatch(
        new RegExp(`^Redis unreachable at 127\\.0\\.0\\.1:${doomed.port}: `),
      );
      await expect(cut.listTaskManagers()).rejects.toBeInstanceOf(DependencyUnavailableError);
    } finally {
      await cut.close();
      await doomed.stop();
    }
  });
});
