import { ConfigError } from '../../runtime/errors';
import { detectContainerRuntime, type ContainerRuntimeStatus } from './container-runtime';
import { findExecutable, type ExecutableStatus } from './find-executable';

/**
 * Local cloud modes (docs/architecture.md §12):
 * - `containers`: LocalStack (S3 + SQS) and Redis in containers, via testcontainers;
 * - `processes`: `redis-server` and the fauxqs emulator as child processes on free ports;
 * - `embedded`: in-memory coordination and filesystem blobs; one JobManager, no HA.
 */
export type CloudMode = 'containers' | 'processes' | 'embedded';
export type RequestedCloudMode = CloudMode | 'auto';

/** How the environment is examined; injected in tests. */
export interface CloudModeProbes {
  containerRuntime(): Promise<ContainerRuntimeStatus>;
  redisServer(): Promise<ExecutableStatus>;
}

export interface CloudModeSelection {
  mode: CloudMode;
  /** One sentence for the user: which mode and why. */
  reason: string;
  /** Set in `containers` mode: the runtime endpoint that answered. */
  containerEndpoint?: string;
  /** Set in `processes` mode. */
  redisServerPath?: string;
}

/** Probes the real machine: the container runtime socket/DOCKER_HOST, and PATH. */
export function defaultCloudModeProbes(
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): CloudModeProbes {
  return {
    containerRuntime: () => detectContainerRuntime({ env: options.env, timeoutMs: options.timeoutMs }),
    redisServer: () => findExecutable('redis-server', { env: options.env }),
  };
}

/**
 * Chooses the local cloud mode. `auto` takes the first that works: containers if a runtime
 * answers, else processes if `redis-server` is on PATH, else embedded. An explicit mode that
 * cannot work here throws a ConfigError saying why and what to use instead. Probes run only
 * when needed (embedded probes nothing; auto stops at the first mode that works).
 */
export async function selectCloudMode(
  requested: RequestedCloudMode,
  probes: CloudModeProbes = defaultCloudModeProbes(),
): Promise<CloudModeSelection> {
  switch (requested) {
    case 'embedded':
      return {
        mode: 'embedded',
        reason: 'embedded mode requested: in-memory coordination, filesystem blobs, no HA',
      };
    case 'containers': {
      const runtime = await probes.containerRuntime();
      if (!runtime.available) {
        throw new ConfigError(
          `cloud mode 'containers' cannot work here: no container runtime answers (${runtime.reason}). ` +
            `Start Docker or Podman, or use 'processes' or 'auto'.`,
        );
      }
      return containers(runtime.endpoint, 'containers mode requested');
    }
    case 'processes': {
      const redis = await probes.redisServer();
      if (!redis.available) {
        throw new ConfigError(
          `cloud mode 'processes' cannot work here: ${redis.reason}. Install Redis (e.g. apt-get install redis-server), or use 'embedded' or 'auto'.`,
        );
      }
      return processes(redis.path, 'processes mode requested');
    }
    case 'auto':
      return selectAutomatically(probes);
  }
}

async function selectAutomatically(probes: CloudModeProbes): Promise<CloudModeSelection> {
  const runtime = await probes.containerRuntime();
  if (runtime.available) return containers(runtime.endpoint, 'auto');
  const redis = await probes.redisServer();
  if (redis.available) return processes(redis.path, `auto: no container runtime (${runtime.reason})`);
  return {
    mode: 'embedded',
    reason:
      `auto: no container runtime (${runtime.reason}) and ${redis.reason}; ` +
      'using embedded mode: in-memory coordination, filesystem blobs, no HA',
  };
}

function containers(endpoint: string, why: string): CloudModeSelection {
  return {
    mode: 'containers',
    reason: `${why}: container runtime answered at ${endpoint}; LocalStack (S3, SQS) and Redis run in containers`,
    containerEndpoint: endpoint,
  };
}

function processes(redisServerPath: string, why: string): CloudModeSelection {
  return {
    mode: 'processes',
    reason: `${why}; using ${redisServerPath} and the fauxqs S3/SQS emulator as child processes`,
    redisServerPath,
  };
}
