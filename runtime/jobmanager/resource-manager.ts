import { NetworkError } from '../errors';
import type { SlotRegistry, TaskManagerRecord, TaskManagerView } from '../coordination/slot-registry';
import type { ControlConnection } from '../rpc/control-protocol';
import type { ResourceProfile } from '../deployment/resource-profile';
import { ZERO_PROFILE, addProfiles, subtractProfiles } from '../deployment/resource-profile';
import type { Logger } from '../util/logger';
import type { TaskManagerInfo } from './gateway';
import { CONTROL } from '../rpc/control-protocol';
import type { RegisterRequest, RegisterReply } from '../rpc/control-protocol';
import { RpcTaskExecutorGateway } from './rpc-task-executor-gateway';
import type { ResourceManagerGateway, TaskExecutorGateway } from './task-executor-gateway';

interface Connected {
  readonly connection: ControlConnection;
  readonly record: TaskManagerRecord;
  lastHeartbeat: number;
}

export type TaskManagerLostListener = (taskManagerId: string, reason: string) => void;

/**
 * The job manager's view of TaskManagers (Flink's ResourceManager): who is connected over the
 * control channel, their heartbeats, and their slots in the slot registry. A TaskManager is
 * lost when its control connection drops or it misses heartbeats for `heartbeatTimeoutMs`;
 * listeners (job masters) then fail the tasks it ran.
 */
export class ResourceManager implements ResourceManagerGateway {
  private readonly connected = new Map<string, Connected>();
  private readonly lostListeners = new Set<TaskManagerLostListener>();
  private readonly registeredListeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly registry: SlotRegistry,
    /** True when this process owns the registry (embedded coordination): it registers TaskManagers itself. */
    private readonly registryIsLocal: boolean,
    private readonly heartbeat: { intervalMs: number; timeoutMs: number },
    private readonly fencingToken: () => number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(
      () => this.checkHeartbeats(),
      Math.max(100, Math.floor(heartbeat.intervalMs / 2)),
    );
    this.timer.unref();
  }

  /** Serves the registration and heartbeat messages of a new control connection. */
  attach(connection: ControlConnection): void {
    connection.handle(CONTROL.register, async (body) => this.register(connection, body));
    connection.handle(CONTROL.heartbeat, () => this.onHeartbeat(connection.peerId));
    connection.once('close', (cause?: Error) =>
      this.lose(
        connection.peerId,
        connection,
        cause ? `control connection failed: ${cause.message}` : 'control connection closed',
      ),
    );
  }

  onTaskManagerLost(listener: TaskManagerLostListener): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onTaskManagerRegistered(listener: () => void): () => void {
    this.registeredListeners.add(listener);
    return () => this.registeredListeners.delete(listener);
  }

  isConnected(taskManagerId: string): boolean {
    return this.connected.has(taskManagerId);
  }

  connection(taskManagerId: string): ControlConnection | undefined {
    return this.connected.get(taskManagerId)?.connection;
  }

  taskExecutor(taskManagerId: string): TaskExecutorGateway | undefined {
    const connection = this.connection(taskManagerId);
    return connection && new RpcTaskExecutorGateway(connection, this.fencingToken);
  }

  /** Live TaskManagers that are both registered and connected, with their allocations. */
  async usableTaskManagers(): Promise<TaskManagerView[]> {
    return (await this.registry.listTaskManagers()).filter((tm) => this.connected.has(tm.id));
  }

  async taskManagerInfo(): Promise<TaskManagerInfo[]> {
    const views = await this.registry.listTaskManagers();
    return views.map((tm) => {
      const allocated = tm.allocations.reduce<ResourceProfile>(
        (sum, a) => (a.profile ? addProfiles(sum, a.profile) : sum),
        ZERO_PROFILE,
      );
      return {
        id: tm.id,
        dataHost: tm.dataHost,
        dataPort: tm.dataPort,
        slotsTotal: tm.numberOfSlots,
        slotsFree: tm.numberOfSlots - tm.allocations.length,
        totalResources: tm.totalResources,
        freeResources: subtractProfiles(tm.totalResources, allocated),
        slots: Array.from({ length: tm.numberOfSlots }, (_, index) => {
          const a = tm.allocations.find((x) => x.slotIndex === index);
          return a
            ? {
                index,
                allocationId: a.allocationId,
                jobId: a.jobId,
                ...(a.profile ? { profile: a.profile } : {}),
              }
            : { index };
        }),
        lastHeartbeat: this.connected.get(tm.id)?.lastHeartbeat ?? 0,
        connected: this.connected.has(tm.id),
      };
    });
  }

  /**
   * Drops every TaskManager connection (this job manager stepped down): they look the leader up
   * again and register there. Their loss is not reported to job masters, which are suspended.
   */
  disconnectAll(reason: string): void {
    const entries = [...this.connected.values()];
    this.connected.clear();
    for (const entry of entries) entry.connection.close();
    if (entries.length > 0)
      this.logger.warn({ reason, taskManagers: entries.length }, 'TaskManagers disconnected');
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.connected.values()) c.connection.close();
    this.connected.clear();
  }

  private async register(connection: ControlConnection, request: RegisterRequest): Promise<RegisterReply> {
    const record = request.record;
    if (record.id !== connection.peerId)
      throw new Error(`TaskManager ${connection.peerId} tried to register as ${record.id}`);
    const previous = this.connected.get(record.id);
    if (previous && previous.connection !== connection) previous.connection.close();
    if (this.registryIsLocal) await this.registry.registerTaskManager(record, this.heartbeat.timeoutMs);
    this.connected.set(record.id, { connection, record, lastHeartbeat: Date.now() });
    this.logger.info(
      {
        taskManagerId: record.id,
        slots: record.numberOfSlots,
        data: `${record.dataHost}:${record.dataPort}`,
      },
      'TaskManager registered',
    );
    for (const listener of [...this.registeredListeners]) listener();
    return { fencingToken: this.fencingToken(), heartbeatIntervalMs: this.heartbeat.intervalMs };
  }

  private async onHeartbeat(taskManagerId: string): Promise<void> {
    const entry = this.connected.get(taskManagerId);
    if (!entry) return;
    entry.lastHeartbeat = Date.now();
    if (this.registryIsLocal) await this.registry.heartbeat(taskManagerId, this.heartbeat.timeoutMs);
  }

  private checkHeartbeats(): void {
    const deadline = Date.now() - this.heartbeat.timeoutMs;
    for (const [id, entry] of this.connected) {
      if (entry.lastHeartbeat < deadline) {
        const reason = `no heartbeat for ${this.heartbeat.timeoutMs} ms`;
        this.lose(id, entry.connection, reason);
        entry.connection.destroy(new NetworkError(`TaskManager ${id}: ${reason}`));
      }
    }
  }

  private lose(taskManagerId: string, connection: ControlConnection, reason: string): void {
    const entry = this.connected.get(taskManagerId);
    if (!entry || entry.connection !== connection) return;
    this.connected.delete(taskManagerId);
    this.logger.warn({ taskManagerId, reason }, 'TaskManager lost');
    if (this.registryIsLocal) void this.registry.unregisterTaskManager(taskManagerId).catch(() => undefined);
    for (const listener of this.lostListeners) listener(taskManagerId, reason);
  }
}
