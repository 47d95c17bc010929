import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../../runtime/coordination/redis/redis-keys';
import { RedisSlotRegistry } from '../../../runtime/coordination/redis/redis-slot-registry';
import { waitFor } from '../../../runtime/util/wait';
import { alloc, LONG_LEASE_MS, tmRecord } from '../../contract/slot-registry-fixtures';
import type { RedisServer } from '../../helpers/redis-server';
import { startRedis } from '../../helpers/redis-server';

/**
 * Leader election between real processes (docs/architecture.md §9): the leader is killed with
 * SIGKILL or paused with SIGSTOP, never asked to leave.
 */
const TIMINGS = { leaseDurationMs: 2000, renewDeadlineMs: 1400, retryPeriodMs: 200 };
const CONTENDER = join(__dirname, '..', '..', 'helpers', 'fixtures', 'leader-contender.ts');

interface ContenderEvent {
  event: 'started' | 'granted' | 'revoked';
  token?: number;
  reason?: string;
  at: number;
}

interface Contender {
  readonly name: string;
  readonly child: ChildProcess;
  readonly events: ContenderEvent[];
  leading(): boolean;
}

let server: RedisServer;
let admin: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  admin?.disconnect();
  await server?.stop();
});

function startContender(name: string, keyPrefix: string): Contender {
  const options = {
    url: server.url,
    keyPrefix,
    contenderId: name,
    addresses: { restUrl: `http://${name}:8081`, controlAddress: `${name}:6123` },
    ...TIMINGS,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CONTENDER, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const events: ContenderEvent[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) =>
    events.push(JSON.parse(line) as ContenderEvent),
  );
  const leading = (): boolean => events.filter((e) => e.event !== 'started').at(-1)?.event === 'granted';
  return { name, child, events, leading };
}

async function twoContenders(keyPrefix: string): Promise<{ leader: Contender; standby: Contender }> {
  const a = startContender('a', keyPrefix);
  const b = startContender('b', keyPrefix);
  const leader = await waitFor(() => [a, b].find((c) => c.leading()), {
    what: 'a leader',
    timeoutMs: 20_000,
  });
  const standby = leader === a ? b : a;
  // Both processes are up and campaigning before anything is done to the leader.
  await waitFor(() => [a, b].every((c) => c.events.some((e) => e.event === 'started')), {
    what: 'both contenders campaigning',
    timeoutMs: 20_000,
  });
  return { leader, standby };
}

describe('leader election between processes', () => {
  it('a standby takes over within lease duration + retry period after kill -9 of the leader', async () => {
    const keyPrefix = `ha-${randomUUID().slice(0, 8)}`;
    const { leader, standby } = await twoContenders(keyPrefix);
    const oldToken = leader.events.find((e) => e.event === 'granted')!.token!;
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await waitFor(() => standby.leading(), { what: 'the standby to lead', timeoutMs: 10_000 });
    const granted = standby.events.at(-1)!;
    const takeoverMs = granted.at - killedAt;
    process.stdout.write(`takeover after kill -9: ${takeoverMs} ms (lease ${TIMINGS.leaseDurationMs} ms)\n`);
    expect(takeoverMs).toBeLessThanOrEqual(TIMINGS.leaseDurationMs + TIMINGS.retryPeriodMs + 500);
    expect(granted.token).toBeGreaterThan(oldToken);
    const info = await admin.hgetall(new RedisKeys(keyPrefix).leaderInfo());
    expect(info).toMatchObject({ contender: standby.name, token: String(granted.token) });
  });

  it('a leader paused past its lease is fenced: it steps down on waking and its allocations are refused', async () => {
    const keyPrefix = `ha-${randomUUID().slice(0, 8)}`;
    const registry = new RedisSlotRegistry({ url: server.url, keyPrefix });
    try {
      await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
      const { leader, standby } = await twoContenders(keyPrefix);
      const oldToken = leader.events.find((e) => e.event === 'granted')!.token!;
      leader.child.kill('SIGSTOP');
      await waitFor(() => standby.leading(), { what: 'the standby to lead', timeoutMs: 10_000 });
      leader.child.kill('SIGCONT');
      await waitFor(() => leader.events.some((e) => e.event === 'revoked'), {
        what: 'the woken leader to step down',
        timeoutMs: 10_000,
      });
      // Whatever the woken leader still tries with its old token changes nothing.
      expect(await registry.allocateSlot(alloc('tm-1', 0, 'old-leader', { fencingToken: oldToken }))).toBe(
        false,
      );
      expect((await registry.listTaskManagers())[0]?.allocations).toEqual([]);
      expect(await admin.get(new RedisKeys(keyPrefix).leaderLease())).toBe(standby.name);
      expect(leader.leading()).toBe(false);
    } finally {
      await registry.close();
    }
  });
});
