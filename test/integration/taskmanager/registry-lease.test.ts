/**
 * A TaskManager's lease in the Redis slot registry: renewed while it runs, registered again
 * once it expired, a Redis outage logged once with its cause (not swallowed, not per tick),
 * and removed on close.
 */
import pino from 'pino';
import { RedisSlotRegistry } from '../../../runtime/coordination/redis/redis-slot-registry';
import type { TaskManagerRecord } from '../../../runtime/coordination/slot-registry';
import { ZERO_PROFILE } from '../../../runtime/deployment/resource-profile';
import { RegistryLease } from '../../../runtime/taskmanager/registry-lease';
import { waitFor } from '../../../runtime/util/wait';
import type { RedisServer } from '../../helpers/redis-server';
import { startRedis } from '../../helpers/redis-server';

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string };
}

const record: TaskManagerRecord = {
  id: 'tm-lease',
  dataHost: '127.0.0.1',
  dataPort: 6121,
  numberOfSlots: 1,
  totalResources: ZERO_PROFILE,
  registeredAt: 0,
};

let server: RedisServer;
let registry: RedisSlotRegistry;
const logs: LogLine[] = [];
const logger = pino(
  { level: 'debug' },
  { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
);
const registered = async (): Promise<boolean> =>
  (await registry.listTaskManagers()).some((tm) => tm.id === record.id);

beforeAll(async () => {
  server = await startRedis();
  registry = new RedisSlotRegistry({ url: server.url, keyPrefix: 'lease-test' });
});

afterAll(async () => {
  await registry?.close();
  await server?.stop();
});

test('renews, registers again after expiry, logs an outage once, and unregisters on close', async () => {
  const lease = new RegistryLease(registry, record, 600, logger);
  await lease.start(100);
  try {
    // Renewed: still live well past one lease.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await registered()).toBe(true);

    // Gone from the registry (as after a Redis restart that lost its data): back within a tick or two.
    await registry.unregisterTaskManager(record.id);
    await waitFor(registered, { timeoutMs: 5_000, what: 'the lease to register again' });
    expect(logs.some((l) => l.msg === 'slot registry lease expired: registering again')).toBe(true);

    // Redis down: the failure is logged with its cause, once; back up: the lease recovers.
    const port = server.port;
    await server.stop();
    await waitFor(async () => logs.some((l) => l.msg.startsWith('could not renew the slot registry lease')), {
      timeoutMs: 10_000,
      what: 'the renewal failure to be logged',
    });
    await new Promise((r) => setTimeout(r, 1000));
    const failures = logs.filter((l) => l.msg.startsWith('could not renew the slot registry lease'));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.err?.message).toBeTruthy();
    server = await startRedis({ port });
    await waitFor(async () => registered().catch(() => false), {
      timeoutMs: 15_000,
      what: 'the lease to come back after Redis restarted empty',
    });
    expect(logs.some((l) => l.msg === 'slot registry lease renewed again')).toBe(true);
  } finally {
    await lease.close();
  }
  expect(await registered()).toBe(false);
});
