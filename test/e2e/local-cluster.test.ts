/**
 * e2e: `startLocalCluster` with the real `sluice jobmanager` and `sluice taskmanager`
 * commands, on the processes cloud (real redis-server and fauxqs): 2 TaskManagers x 2 slots
 * register and are listed by the REST API; stop() leaves nothing running.
 */
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from '../../local/cluster';
import { startLocalCluster } from '../../local/cluster';
import { listedIds } from '../../local/cluster-readiness';
import { isRunning } from '../helpers/processes';

const e2e = test;

let rootDir: string;
let cluster: LocalCluster | undefined;

beforeEach(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-e2e-local-'));
});

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  await fs.rm(rootDir, { recursive: true, force: true });
});

e2e(
  'the real job manager and 2 TaskManagers x 2 slots come up on the processes cloud and are listed',
  async () => {
    cluster = await startLocalCluster({
      taskManagers: 2,
      slots: 2,
      cloud: 'processes',
      rootDir,
      restPort: 0,
    });

    expect((await fetch(`${cluster.restUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${cluster.restUrl}/taskmanagers`)).status).toBe(401);
    const response = await fetch(`${cluster.restUrl}/taskmanagers`, {
      headers: { authorization: `Bearer ${cluster.token}` },
    });
    expect(response.status).toBe(200);
    const body: unknown = await response.json();
    expect(listedIds(body).sort()).toEqual(['taskmanager-1', 'taskmanager-2']);
    const list = (body as { taskManagers: { slotsTotal: number }[] }).taskManagers;
    expect(list.map((tm) => tm.slotsTotal)).toEqual([2, 2]);

    const pids = [...cluster.processes.map((p) => p.pid), ...Object.values(cluster.info.pids.cloud)];
    expect(pids).toHaveLength(5);
    await cluster.stop();
    for (const pid of pids) expect(await isRunning(pid)).toBe(false);
    expect(existsSync(cluster.clusterFile)).toBe(false);
  },
  120_000,
);
