import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../../../config';
import { envNameForKey } from '../../../config';
import type { Logger } from '../../../util/logger';
import { clusterEnvironment, perJobTaskManagerEnvironment } from '../per-job-taskmanager';
import type { ResourceDriver, TaskManagerLaunchRequest } from '../resource-driver';

const SLUICE_BIN = sluiceBin();

/** bin/sluice.js of the package this file belongs to (under runtime/ in the repository, dist/runtime/ when installed). */
function sluiceBin(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bin', 'sluice.js');
}

/**
 * Per-job mode on one machine: each TaskManager is a child process (`sluice taskmanager`)
 * named `job-<jobId>-<n>`, with the slot count and memory of the request.
 */
export class LocalProcessResourceDriver implements ResourceDriver {
  private readonly children = new Map<string, ChildProcess>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    /** The control port actually bound (the config may say 0 = any). */
    private readonly rpcPort: () => number,
  ) {}

  async startTaskManagers(request: TaskManagerLaunchRequest): Promise<string[]> {
    const ids: string[] = [];
    for (let n = 0; n < request.count; n++) {
      const id = `job-${request.jobId}-${n}`;
      const child = spawn(process.execPath, [SLUICE_BIN, 'taskmanager'], {
        env: { ...process.env, ...this.environment(id, request) },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('exit', (code, signal) => {
        this.children.delete(id);
        this.logger.info({ taskManagerId: id, code, signal }, 'per-job TaskManager exited');
      });
      this.children.set(id, child);
      ids.push(id);
    }
    return ids;
  }

  async stopTaskManagers(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.stop(id)));
  }

  async close(): Promise<void> {
    await this.stopTaskManagers([...this.children.keys()]);
  }

  private environment(id: string, request: TaskManagerLaunchRequest): Record<string, string> {
    return {
      ...clusterEnvironment(this.config, this.rpcPort()),
      ...perJobTaskManagerEnvironment(request),
      [envNameForKey('taskmanager.id')]: id,
      [envNameForKey('taskmanager.data.port')]: '0',
    };
  }

  private async stop(id: string): Promise<void> {
    const child = this.children.get(id);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
