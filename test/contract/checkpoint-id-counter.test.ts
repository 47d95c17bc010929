import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CheckpointIdCounter } from '../../runtime/checkpoint/checkpoint-id-counter';
import { InMemoryCheckpointIdCounter } from '../../runtime/checkpoint/checkpoint-id-counter';
import { RedisCheckpointIdCounter } from '../../runtime/coordination/redis/redis-checkpoint-id-counter';
import { RedisKeys } from '../../runtime/coordination/redis/redis-keys';
import { DependencyUnavailableError } from '../../runtime/errors';
import type { RedisServer } from '../helpers/redis-server';
import { startRedis } from '../helpers/redis-server';

let server: RedisServer;
const opened: CheckpointIdCounter[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await server?.stop();
});

function describeCounterContract(name: string, open: () => CheckpointIdCounter): void {
  describe(`${name} (checkpoint id counter contract)`, () => {
    it('hands out increasing ids per job, starting at 1', async () => {
      const counter = open();
      expect([await counter.next('a', 0), await counter.next('a', 0), await counter.next('b', 0)]).toEqual([
        1, 2, 1,
      ]);
    });

    it('never goes below the latest completed checkpoint', async () => {
      const counter = open();
      expect(await counter.next('a', 41)).toBe(42);
      expect(await counter.next('a', 0)).toBe(43);
      expect(await counter.next('a', 43)).toBe(44);
    });

    it('starts over once a job is discarded (the floor still holds)', async () => {
      const counter = open();
      await counter.next('a', 0);
      await counter.discard('a');
      expect(await counter.next('a', 0)).toBe(1);
      await counter.discard('a');
      expect(await counter.next('a', 7)).toBe(8);
    });
  });
}

describeCounterContract('InMemoryCheckpointIdCounter', () => new InMemoryCheckpointIdCounter());

describeCounterContract('RedisCheckpointIdCounter', () => {
  const counter = new RedisCheckpointIdCounter({
    url: server.url,
    keyPrefix: `test-${randomUUID().slice(0, 8)}`,
  });
  opened.push(counter);
  return counter;
});

describe('RedisCheckpointIdCounter specifics', () => {
  it('is shared by every job manager of the cluster (a standby continues the sequence)', async () => {
    const keyPrefix = `test-${randomUUID().slice(0, 8)}`;
    const first = new RedisCheckpointIdCounter({ url: server.url, keyPrefix });
    const second = new RedisCheckpointIdCounter({ url: server.url, keyPrefix });
    opened.push(first, second);
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).next('job', 0)),
    );
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // The key is the one RedisKeys reserves for it.
    const redis = new Redis(server.url);
    try {
      expect(await redis.get(new RedisKeys(keyPrefix).checkpointIdCounter('job'))).toBe('20');
    } finally {
      redis.disconnect();
    }
  });

  it('fails naming Redis and its address when Redis is down', async () => {
    const down = await startRedis();
    const counter = new RedisCheckpointIdCounter({ url: down.url, commandTimeoutMs: 1000 });
    opened.push(counter);
    expect(await counter.next('job', 0)).toBe(1);
    await down.stop();
    const err = await counter.next('job', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toContain(`127.0.0.1:${down.port}`);
  });
});
