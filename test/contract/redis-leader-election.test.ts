import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { StandaloneLeaderElection } from '../../runtime/coordination/embedded/standalone-leader-election';
import type { LeaderContender } from '../../runtime/coordination/leader-election';
import type { RedisLeaderElectionOptions } from '../../runtime/coordination/redis/redis-leader-election';
import { RedisLeaderElection } from '../../runtime/coordination/redis/redis-leader-election';
import { RedisKeys } from '../../runtime/coordination/redis/redis-keys';
import { RedisLeaderRetriever } from '../../runtime/coordination/redis/redis-leader-retriever';
import { RedisSlotRegistry } from '../../runtime/coordination/redis/redis-slot-registry';
import { ConfigError } from '../../runtime/errors';
import { sleep, waitFor } from '../../runtime/util/wait';
import type { RedisServer } from '../helpers/redis-server';
import { startRedis } from '../helpers/redis-server';
import type { TcpPartition } from '../helpers/tcp-partition';
import { startTcpPartition } from '../helpers/tcp-partition';
import { alloc, LONG_LEASE_MS, tmRecord } from './slot-registry-fixtures';

/**
 * Short timings so lapses happen within a test, yet long enough that a loaded CI machine (a
 * Redis reply or a timer late by a second) does not make a healthy leader step down.
 */
const TIMINGS = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };

let server: RedisServer;
let admin: Redis;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
  admin?.disconnect();
  await server?.stop();
});

/** A contender that records what it was told, with the time, in order. */
class RecordingContender implements LeaderContender {
  readonly events: { kind: 'granted' | 'revoked'; token?: number; reason?: string; at: number }[] = [];
  grantLeadership(fencingToken: number): void {
    this.events.push({ kind: 'granted', token: fencingToken, at: Date.now() });
  }
  revokeLeadership(reason: string): void {
    this.events.push({ kind: 'revoked', reason, at: Date.now() });
  }
  get leading(): boolean {
    return this.events.at(-1)?.kind === 'granted';
  }
  get tokens(): number[] {
    return this.events.flatMap((e) => (e.token === undefined ? [] : [e.token]));
  }
}

function election(
  name: string,
  keyPrefix: string,
  overrides: Partial<RedisLeaderElectionOptions> = {},
): RedisLeaderElection {
  const created = new RedisLeaderElection({
    url: server.url,
    keyPrefix,
    contenderId: name,
    addresses: { restUrl: `http://${name}:8081`, controlAddress: `${name}:6123` },
    ...TIMINGS,
    ...overrides,
  });
  opened.push(created);
  return created;
}

async function contend(
  name: string,
  keyPrefix: string,
  overrides: Partial<RedisLeaderElectionOptions> = {},
): Promise<{ election: RedisLeaderElection; contender: RecordingContender }> {
  const created = election(name, keyPrefix, overrides);
  const contender = new RecordingContender();
  await created.start(contender);
  return { election: created, contender };
}

const prefix = (): string => `test-${randomUUID().slice(0, 8)}`;

describe('RedisLeaderElection with two contenders', () => {
  it('grants exactly one leadership and publishes its addresses and token', async () => {
    const keyPrefix = prefix();
    const a = await contend('a', keyPrefix);
    const b = await contend('b', keyPrefix);
    const leaders = [a, b].filter((c) => c.contender.leading);
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    const published = await b.election.currentLeader();
    expect(published).toEqual({
      contenderId: leader.election.contenderId,
      fencingToken: leader.contender.tokens[0],
      restUrl: `http://${leader.election.contenderId}:8081`,
      controlAddress: `${leader.election.contenderId}:6123`,
    });
    const keys = new RedisKeys(keyPrefix);
    expect(await admin.get(keys.leaderLease())).toBe(leader.election.contenderId);
    expect(await admin.get(keys.fencingCounter())).toBe(String(published!.fencingToken));
  });

  it('renews the lease: the leader keeps leading over several lease durations', async () => {
    const keyPrefix = prefix();
    const a = await contend('a', keyPrefix);
    const b = await contend('b', keyPrefix);
    expect(a.contender.leading).toBe(true);
    // Nothing may happen here, so there is no condition to poll: wait out three lease durations.
    await sleep(3 * TIMINGS.leaseDurationMs);
    expect(a.contender.events.map((e) => e.kind)).toEqual(['granted']);
    expect(b.contender.events).toEqual([]);
    // Renewed within the renew deadline, or the leader would have stepped down.
    const ttl = await admin.pttl(new RedisKeys(keyPrefix).leaderLease());
    expect(ttl).toBeGreaterThan(TIMINGS.leaseDurationMs - TIMINGS.renewDeadlineMs);
  });

  it('hands over to the standby with a higher token when the leader closes', async () => {
    const keyPrefix = prefix();
    const a = await contend('a', keyPrefix);
    const b = await contend('b', keyPrefix);
    await a.election.close();
    expect(a.contender.events.map((e) => e.kind)).toEqual(['granted', 'revoked']);
    await waitFor(() => b.contender.leading, { what: 'the standby to lead', timeoutMs: 15_000 });
    expect(b.contender.tokens[0]).toBeGreaterThan(a.contender.tokens[0]!);
    expect((await b.election.currentLeader())?.restUrl).toBe('http://b:8081');
  });

  // Retries far apart (the lease allows nothing longer than 40 s): only the announcement of the
  // release, or the remaining lease the standby was told, can make it act within the test.
  const SLOW_RETRY = { leaseDurationMs: 60_000, renewDeadlineMs: 50_000, retryPeriodMs: 40_000 };

  it('a standby takes over at once when the leader releases its lease, not at its next retry', async () => {
    const keyPrefix = prefix();
    const a = await contend('a', keyPrefix, SLOW_RETRY);
    const b = await contend('b', keyPrefix, SLOW_RETRY);
    expect(b.contender.leading).toBe(false);
    await a.election.close();
    await waitFor(() => b.contender.leading, {
      what: 'the standby to lead after the release',
      timeoutMs: 20_000,
    });
    expect(b.contender.tokens[0]).toBeGreaterThan(a.contender.tokens[0]!);
  });

  it('a standby tries again when the lease it found held lapses, not at its next retry', async () => {
    const keyPrefix = prefix();
    const keys = new RedisKeys(keyPrefix);
    // A holder that crashed: its lease lapses in 1.5 s and nobody releases it.
    await admin.set(keys.leaderLease(), 'crashed', 'PX', 1_500);
    await admin.set(keys.fencingCounter(), '7');
    const b = await contend('b', keyPrefix, SLOW_RETRY);
    expect(b.contender.leading).toBe(false);
    await waitFor(() => b.contender.leading, {
      what: 'the standby to lead after the lapse',
      timeoutMs: 20_000,
    });
    expect(b.contender.tokens).toEqual([8]);
  });

  it('announces a new leader to retrievers that listen for changes', async () => {
    const keyPrefix = prefix();
    const retriever = new RedisLeaderRetriever({ url: server.url, keyPrefix });
    opened.push(retriever);
    let changes = 0;
    retriever.onChange(() => changes++);
    const channel = new RedisKeys(keyPrefix).leaderChannel();
    await waitFor(async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1] === 1, {
      what: 'the retriever to subscribe',
    });
    const b = await contend('b', keyPrefix, SLOW_RETRY);
    expect(b.contender.leading).toBe(true);
    await waitFor(() => changes > 0, { what: 'a leadership change to be announced', timeoutMs: 10_000 });
    expect((await retriever.currentLeader())?.contenderId).toBe('b');
  });

  it('steps a partitioned leader down before the standby can take over', async () => {
    const keyPrefix = prefix();
    const link: TcpPartition = await startTcpPartition(server.port);
    opened.push(link);
    const a = await contend('a', keyPrefix, { url: `redis://127.0.0.1:${link.port}` });
    const b = await contend('b', keyPrefix);
    expect(a.contender.leading).toBe(true);
    const cutAt = Date.now();
    link.partition();
    await waitFor(() => b.contender.leading, { what: 'the standby to lead', timeoutMs: 10_000 });
    const revoked = a.contender.events.find((e) => e.kind === 'revoked');
    const granted = b.contender.events.find((e) => e.kind === 'granted')!;
    expect(revoked?.reason).toContain('not renewed within');
    // The old leader stopped acting before the new one started, and within its renew deadline.
    expect(revoked!.at).toBeLessThan(granted.at);
    // (Timers fire late on a loaded machine: allow half the gap between deadline and lease.)
    const slack = (TIMINGS.leaseDurationMs - TIMINGS.renewDeadlineMs) / 2;
    expect(revoked!.at - cutAt).toBeLessThanOrEqual(TIMINGS.renewDeadlineMs + slack);
    expect(granted.at - cutAt).toBeLessThanOrEqual(TIMINGS.leaseDurationMs + 3 * TIMINGS.retryPeriodMs);
    expect(granted.token).toBeGreaterThan(a.contender.tokens[0]!);
    // Healed, the old leader finds the lease taken and stays a standby.
    link.heal();
    await sleep(3 * TIMINGS.retryPeriodMs);
    expect(a.contender.leading).toBe(false);
    expect((await a.election.currentLeader())?.contenderId).toBe('b');
  });

  it('never hands out a token below one it has seen, even after Redis lost its data', async () => {
    const keyPrefix = prefix();
    const a = await contend('a', keyPrefix);
    const b = await contend('b', keyPrefix);
    const oldToken = (await b.election.currentLeader())!.fencingToken; // b has seen a's token
    expect(a.contender.tokens).toEqual([oldToken]);
    // As after a Redis restart without persistence: lease, leader info and counter are gone.
    const keys = new RedisKeys(keyPrefix);
    await admin.del(keys.fencingCounter(), keys.leaderLease(), keys.leaderInfo());
    const leader = await waitFor(() => b.election.currentLeader().catch(() => undefined), {
      what: 'a new leader',
      timeoutMs: 15_000,
    });
    // Without the floor the counter would have started over at 1.
    expect(leader.fencingToken).toBeGreaterThan(oldToken);
    expect(await admin.get(keys.fencingCounter())).toBe(String(leader.fencingToken));
    await waitFor(() => a.contender.events.some((e) => e.kind === 'revoked') || b.contender.leading);
  });

  it('continues above the durable token record when a contender that saw no token finds the counter gone', async () => {
    const keyPrefix = prefix();
    const recorded: number[] = [];
    let durable = 0;
    const tokenFloor = {
      highest: async () => durable,
      record: async (token: number) => {
        recorded.push(token);
        durable = Math.max(durable, token);
      },
    };
    const a = await contend('a', keyPrefix, { tokenFloor });
    expect(recorded).toEqual(a.contender.tokens);
    // As after a Redis restart: a new contender that never saw a's token takes the lease.
    const keys = new RedisKeys(keyPrefix);
    const oldToken = a.contender.tokens[0]!;
    await admin.del(keys.fencingCounter(), keys.leaderLease(), keys.leaderInfo());
    durable = oldToken + 41; // tokens of leaderships whose counter Redis lost
    const c = await contend('c', keyPrefix, { tokenFloor });
    await waitFor(() => c.contender.leading || a.contender.tokens.length > 1, { what: 'a new leadership' });
    const newest = Math.max(...c.contender.tokens, ...a.contender.tokens);
    expect(newest).toBe(oldToken + 42);
    expect(recorded.at(-1)).toBe(newest);
  });

  it('does not lead with a token it cannot record, and releases the lease', async () => {
    const keyPrefix = prefix();
    const tokenFloor = {
      highest: async () => 0,
      record: async () => {
        throw new Error('S3 answered 503');
      },
    };
    const logs: string[] = [];
    const a = await contend('a', keyPrefix, { tokenFloor, log: (_level, message) => logs.push(message) });
    expect(a.contender.leading).toBe(false);
    expect(logs.join('\n')).toMatch(/fencing token 1 could not be recorded; lease released/);
    expect(await admin.get(new RedisKeys(keyPrefix).leaderLease())).toBeNull();
  });

  it("fences the old leader's slot allocations once a new leader acquired the lease", async () => {
    const keyPrefix = prefix();
    const registry = new RedisSlotRegistry({ url: server.url, keyPrefix });
    opened.push(registry);
    await registry.registerTaskManager(tmRecord('tm-1'), LONG_LEASE_MS);
    const a = await contend('a', keyPrefix);
    const b = await contend('b', keyPrefix);
    const oldToken = a.contender.tokens[0]!;
    expect(await registry.allocateSlot(alloc('tm-1', 0, 'by-a', { fencingToken: oldToken }))).toBe(true);
    await a.election.close();
    await waitFor(() => b.contender.leading, { what: 'the standby to lead', timeoutMs: 15_000 });
    // The new leader has not written anything yet: its acquisition alone fences the old token.
    expect(await registry.allocateSlot(alloc('tm-1', 1, 'by-a', { fencingToken: oldToken }))).toBe(false);
    const newToken = b.contender.tokens[0]!;
    expect(await registry.allocateSlot(alloc('tm-1', 1, 'by-b', { fencingToken: newToken }))).toBe(true);
    const [view] = await registry.listTaskManagers();
    expect(view?.allocations.map((x) => `${x.slotIndex}:${x.allocationId}`)).toEqual(['0:by-a', '1:by-b']);
  });

  it('rejects timings under which a leader could outlive its lease', () => {
    expect(() => election('x', prefix(), { renewDeadlineMs: TIMINGS.leaseDurationMs })).toThrow(ConfigError);
    expect(() => election('x', prefix(), { retryPeriodMs: TIMINGS.renewDeadlineMs })).toThrow(/retry period/);
  });
});

describe('StandaloneLeaderElection', () => {
  it('leads from start to close with a constant token', async () => {
    const standalone = new StandaloneLeaderElection({ restUrl: 'http://jm:8081', controlAddress: 'jm:6123' });
    const contender = new RecordingContender();
    expect(await standalone.currentLeader()).toBeUndefined();
    await standalone.start(contender);
    expect(contender.leading).toBe(true);
    expect((await standalone.currentLeader())?.restUrl).toBe('http://jm:8081');
    await standalone.close();
    expect(contender.events.map((e) => e.kind)).toEqual(['granted', 'revoked']);
  });
});
