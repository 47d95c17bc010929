import { DEFAULT_REDIS_KEY_PREFIX, RedisKeys } from '../../../../runtime/coordination/redis/redis-keys';
import { ConfigError } from '../../../../runtime/errors';

describe('RedisKeys', () => {
  it('defaults to the sluice prefix', () => {
    const keys = new RedisKeys();
    expect(DEFAULT_REDIS_KEY_PREFIX).toBe('sluice');
    expect(keys.taskManagers()).toBe('sluice:tms');
    expect(keys.taskManager('tm-1')).toBe('sluice:tm:tm-1');
    expect(keys.allocations('tm-1')).toBe('sluice:alloc:tm-1');
    expect(keys.pattern()).toBe('sluice:*');
  });

  it('puts every key under a custom prefix', () => {
    const keys = new RedisKeys('{prod-a}');
    const all = [
      keys.taskManagers(),
      keys.taskManager('x'),
      keys.allocations('x'),
      keys.leaderLease(),
      keys.fencingCounter(),
      keys.leaderInfo(),
      keys.checkpointIdCounter('job'),
      keys.latestCheckpointPointer('job'),
    ];
    for (const key of all) expect(key.startsWith('{prod-a}:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it('derives per-TaskManager keys from the prefixes handed to Lua', () => {
    const keys = new RedisKeys('p');
    expect(keys.taskManagerPrefix() + 'tm-9').toBe(keys.taskManager('tm-9'));
    expect(keys.allocationsPrefix() + 'tm-9').toBe(keys.allocations('tm-9'));
  });

  it('rejects empty or whitespace prefixes', () => {
    for (const bad of ['', 'a b', 'x\n', 'p*']) expect(() => new RedisKeys(bad)).toThrow(ConfigError);
  });
});
