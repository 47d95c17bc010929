import { DependencyUnavailableError, describeError } from '../errors';

/** One service a process needs (Redis, the blob store) and a cheap way to ask if it answers. */
export interface DependencyProbe {
  /** Key in the health report: `redis`, `blobStore`. */
  readonly name: string;
  /** What people call it in messages: `Redis`, `blob store`. */
  readonly label: string;
  /** Where it is, without credentials: `127.0.0.1:6379`, `http://127.0.0.1:4566`, `file:///data`. */
  readonly address: string;
  /** Resolves when the dependency answered; rejects with the reason it did not. */
  probe(): Promise<void>;
}

export interface DependencyCheck {
  readonly status: 'UP' | 'DOWN';
  readonly address: string;
  /** Why it is down (connection refused, timeout…). */
  readonly cause?: string;
}

/** The readiness view of a process (`GET /healthz`). */
export interface HealthReport {
  readonly status: 'UP' | 'DOWN';
  readonly role: 'jobmanager' | 'taskmanager';
  /** A job manager's part in the leader election: only the leader runs jobs (§9). */
  readonly leadership?: 'leader' | 'standby';
  readonly checks: Readonly<Record<string, DependencyCheck>>;
  /** Set when DOWN, in the `{ code, message }` shape of every REST error: names the failing dependency. */
  readonly code?: 'SLUICE_UNAVAILABLE';
  readonly message?: string;
}

export interface DependencyHealthOptions {
  /** Longest a probe may take before it counts as DOWN (default 1 s). */
  readonly timeoutMs?: number;
  /**
   * How long a report is reused (default 1 s): `/healthz` needs no token, so however often it
   * is called, the dependencies see at most one probe each per period.
   */
  readonly cacheMs?: number;
}

/**
 * Probes a process's dependencies with short timeouts and caches the report briefly; concurrent
 * callers share one round of probes.
 */
export class DependencyHealth {
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private cached: { at: number; report: Promise<HealthReport> } | undefined;

  constructor(
    private readonly role: HealthReport['role'],
    private readonly probes: readonly DependencyProbe[],
    options: DependencyHealthOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.cacheMs = options.cacheMs ?? 1_000;
  }

  report(): Promise<HealthReport> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.report;
    const report = this.probeAll();
    this.cached = { at: now, report };
    return report;
  }

  /** Throws `DependencyUnavailableError` naming the first dependency that is down. */
  async assertReady(): Promise<void> {
    const report = await this.report();
    const down = this.probes.find((p) => report.checks[p.name]?.status === 'DOWN');
    if (down) throw new DependencyUnavailableError(down.label, down.address, report.checks[down.name]!.cause);
  }

  private async probeAll(): Promise<HealthReport> {
    const results = await Promise.all(this.probes.map(async (p) => [p.name, await this.check(p)] as const));
    const checks = Object.fromEntries(results);
    const down = this.probes.filter((p) => checks[p.name]?.status === 'DOWN');
    if (down.length === 0) return { status: 'UP', role: this.role, checks };
    const message = down
      .map((p) => `${p.label} unreachable at ${p.address}: ${checks[p.name]!.cause}`)
      .join('; ');
    return { status: 'DOWN', role: this.role, checks, code: 'SLUICE_UNAVAILABLE', message };
  }

  private async check(probe: DependencyProbe): Promise<DependencyCheck> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([probe.probe(), timeout]);
      return { status: 'UP', address: probe.address };
    } catch (err) {
      return { status: 'DOWN', address: probe.address, cause: innermostCause(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A DependencyUnavailableError already says "X unreachable at Y"; the report wants only the why. */
function innermostCause(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  if (current instanceof AggregateError && current.errors.length > 0)
    return current.errors.map((e) => describeError(e)).join('; ');
  return describeError(current) || 'no answer';
}
