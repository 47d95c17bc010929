import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterProcess, HaCluster } from '../helpers/ha-cluster';
import type { FaultProxy } from './fault-proxy';
import { NO_FAULTS } from './fault-proxy';
import { Prng } from '../helpers/prng';

/** The faults the nemesis knows (issue 10). */
export const FAULT_KINDS = [
  'kill-taskmanager',
  'kill-leader',
  'pause-taskmanager',
  'pause-leader',
  'restart-redis-empty',
  's3-faults',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One step of a schedule: wait `gapMs`, then apply `kind` with these drawn parameters. */
export interface ScheduledFault {
  readonly kind: FaultKind;
  readonly gapMs: number;
  /** Pauses: how long the process stays stopped. S3 faults: how long they last. */
  readonly durationMs: number;
  /** Picks the victim among the live TaskManagers (index modulo their number). */
  readonly target: number;
}

export interface ScheduleOptions {
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
  /** Lease of the cluster: a paused leader stays stopped past it, so the standby takes over. */
  readonly leaseMs: number;
}

/**
 * The schedule of one run, drawn from its seed alone (so `--seed` replays it). Every kind
 * appears once before any repeats, in a seeded order, so a short run still mixes faults.
 */
export function faultSchedule(seed: number, options: ScheduleOptions): ScheduledFault[] {
  const random = new Prng(seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const order: FaultKind[] = [];
  while (order.length < options.faults) {
    const round = [...kinds];
    for (let i = round.length - 1; i > 0; i--) {
      const j = random.between(0, i);
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    order.push(...round);
  }
  return order.slice(0, options.faults).map((kind) => ({
    kind,
    gapMs: random.between(500, 2_500),
    durationMs:
      kind === 'pause-leader'
        ? options.leaseMs + random.between(500, 3_000)
        : kind === 'pause-taskmanager'
          ? random.between(1_000, 9_000)
          : random.between(2_000, 6_000),
    target: random.between(0, 1_000),
  }));
}

/** What the nemesis acts on: the cluster, the S3 fault proxy, and how to replace lost processes. */
export interface NemesisTarget {
  readonly cluster: HaCluster;
  readonly proxy: FaultProxy;
}

/** Live processes of a role, oldest first. */
export function live(cluster: HaCluster, role: 'jm' | 'tm'): ClusterProcess[] {
  return cluster.processes.filter(
    (p) => p.name.startsWith(`${role}-`) && p.child.exitCode === null && p.child.signalCode === null,
  );
}

/**
 * Applies one fault; resolves once it has been applied (a pause: once the process runs again;
 * S3 faults: at once, they end by themselves after their duration). A killed leader is
 * replaced here, a killed TaskManager by the run's supervisor, so the cluster keeps two job
 * managers and three TaskManagers. Returns what it did.
 */
export async function applyFault(fault: ScheduledFault, target: NemesisTarget): Promise<string> {
  const { cluster } = target;
  switch (fault.kind) {
    case 'kill-taskmanager': {
      const victim = pickTaskManager(cluster, fault.target);
      // The run's supervisor starts its replacement, as ECS would.
      await victim.signal('SIGKILL');
      return `kill -9 ${victim.name}`;
    }
    case 'kill-leader': {
      const leader = await currentLeader(cluster);
      await leader.signal('SIGKILL');
      await cluster.startJobManager(`jm-${cluster.processes.length}`);
      return `kill -9 leader ${leader.name}`;
    }
    case 'pause-taskmanager': {
      const victim = pickTaskManager(cluster, fault.target);
      await pause(victim, fault.durationMs);
      return `SIGSTOP ${victim.name} ${fault.durationMs} ms`;
    }
    case 'pause-leader': {
      const leader = await currentLeader(cluster);
      await pause(leader, fault.durationMs);
      return `SIGSTOP leader ${leader.name} ${fault.durationMs} ms`;
    }
    case 'restart-redis-empty':
      await cluster.restartRedisEmpty();
      return 'redis restarted empty';
    case 's3-faults': {
      const rates = { errorRate: 0.1, dropRate: 0.05, delayRate: 0.15, maxDelayMs: 2_000 };
      target.proxy.setRates(rates);
      setTimeout(() => target.proxy.setRates(NO_FAULTS), fault.durationMs).unref();
      return `S3 5xx 10%, drops 5%, delays 15% (<= 2 s) for ${fault.durationMs} ms`;
    }
  }
}

function pickTaskManager(cluster: HaCluster, index: number): ClusterProcess {
  const tms = live(cluster, 'tm');
  if (tms.length === 0) throw new Error('chaos: no live TaskManager to hit');
  return tms[index % tms.length]!;
}

async function currentLeader(cluster: HaCluster): Promise<ClusterProcess> {
  const { jm } = await cluster.waitForLeader(60_000);
  return jm;
}

async function pause(process: ClusterProcess, ms: number): Promise<void> {
  await process.signal('SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    await process.signal('SIGCONT');
  }
}
