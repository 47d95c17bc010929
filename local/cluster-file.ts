import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConflictError } from '../runtime/errors';
import type { CloudMode } from './cloud/select-cloud-mode';

/**
 * `.sluice/local-cluster.json`: how clients (the CLI, e2e tests, a user's shell) find the
 * running local cluster. It holds the REST token, so it is written with mode 0600.
 */
export interface ClusterFile {
  /** The first job manager's REST URL. */
  restUrl: string;
  /** Every job manager's (`--jobmanagers N`), `restUrl` first: clients fall back to the others. */
  restUrls: string[];
  token: string;
  cloud: CloudMode;
  s3Endpoint: string | null;
  sqsEndpoint: string | null;
  bucket: string | null;
  redisUrl: string | null;
  /** The fs blob store directory (embedded mode). */
  storageDir: string | null;
  /**
   * The blob store's config keys (`storage.*`, `s3.*`: the emulator's endpoint, bucket and
   * its fixed local credentials), so `sluice savepoint inspect|check` read this cluster's store.
   */
  storeConfig: Record<string, string | number | boolean>;
  logDir: string;
  pids: {
    launcher: number;
    jobmanager: number;
    /** Further job managers (`--jobmanagers 2`): standbys that take over when the leader fails. */
    standbyJobmanagers?: number[];
    taskmanagers: number[];
    /** Cloud processes by name: `redis`, `fauxqs` (processes mode). */
    cloud: Record<string, number>;
  };
  /** ISO timestamp. */
  startedAt: string;
}

/** `<rootDir>/.sluice/local-cluster.json` */
export function clusterFilePath(rootDir: string): string {
  return join(rootDir, '.sluice', 'local-cluster.json');
}

/**
 * Writes the file atomically (a temporary file renamed over it), readable by the owner only
 * whatever the umask. Creates the directory when missing.
 */
export async function writeClusterFile(file: string, contents: ClusterFile): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(temporary, 0o600);
  await fs.rename(temporary, file);
}

/** The file's contents; undefined when it does not exist. Throws on unreadable or malformed JSON. */
export async function readClusterFile(file: string): Promise<ClusterFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as ClusterFile;
}

/**
 * Removes the file if it still describes the cluster with `token` (a newer cluster's file is
 * left alone); without a token, unconditionally. A missing file is fine.
 */
export async function removeClusterFile(file: string, token?: string): Promise<void> {
  if (token !== undefined) {
    const current = await readClusterFile(file).catch(() => undefined);
    if (current?.token !== token) return;
  }
  await fs.rm(file, { force: true });
}

/** Every pid a cluster file names. */
export function clusterFilePids(contents: ClusterFile): number[] {
  const { launcher, jobmanager, standbyJobmanagers, taskmanagers, cloud } = contents.pids;
  return [
    launcher,
    jobmanager,
    ...(standbyJobmanagers ?? []),
    ...taskmanagers,
    ...Object.values(cloud),
  ].filter((pid) => Number.isInteger(pid) && pid > 0);
}

/**
 * Refuses to start a second cluster over a running one: throws ConflictError when the file
 * exists and any process it names is alive. A file left by a cluster that is gone (its
 * launcher was SIGKILLed) is removed. A malformed file is treated as stale.
 */
export async function assertNoClusterRunning(
  file: string,
  isAlive: (pid: number) => boolean = isProcessAlive,
): Promise<void> {
  const contents = await readClusterFile(file).catch(() => undefined);
  if (contents !== undefined) {
    const alive = clusterFilePids(contents).filter(isAlive);
    if (alive.includes(contents.pids.launcher)) {
      throw new ConflictError(
        `a local cluster is already running here (${contents.restUrl}, described in ${file}); ` +
          `stop it (Ctrl-C in its terminal, or kill ${contents.pids.launcher}) or use another directory`,
      );
    }
    if (alive.length > 0) {
      throw new ConflictError(
        `processes of an earlier local cluster whose launcher died are still running (pids ${alive.join(', ')}, ` +
          `from ${file}); stop them (kill ${alive.join(' ')}), or delete the file if those pids now belong to other programs`,
      );
    }
  }
  await fs.rm(file, { force: true });
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
