import { envNameForKey, loadConfig } from '../runtime/config';
import type { ConfigValues, LocalCloud } from './local-cloud';

/** What every cluster process must agree on. */
export interface ClusterSettings {
  token: string;
  restPort: number;
  rpcPort: number;
}

/** Keys shared by the job manager and TaskManagers: the cloud's HA and storage keys, the secret, the RPC address. */
function commonConfig(cloud: LocalCloud, settings: ClusterSettings): ConfigValues {
  return {
    ...cloud.config,
    'rest.token': settings.token,
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': settings.rpcPort,
  };
}

/**
 * Configuration of a job manager: REST and RPC on loopback. The first uses the cluster's ports;
 * further ones (standbys, `--jobmanagers 2`) their own, and publish them when they lead.
 */
export function jobManagerConfig(
  cloud: LocalCloud,
  settings: ClusterSettings,
  ports: { restPort: number; rpcPort: number } = settings,
): ConfigValues {
  return {
    ...commonConfig(cloud, settings),
    'jobmanager.rpc.port': ports.rpcPort,
    'rest.address': '127.0.0.1',
    'rest.port': ports.restPort,
  };
}

/** Configuration of one TaskManager: its id, its slots, a free data port on loopback. */
export function taskManagerConfig(
  cloud: LocalCloud,
  settings: ClusterSettings,
  taskManager: { id: string; slots: number },
): ConfigValues {
  return {
    ...commonConfig(cloud, settings),
    'taskmanager.id': taskManager.id,
    'taskmanager.numberOfTaskSlots': taskManager.slots,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.data.port': 0,
  };
}

/**
 * The environment of a cluster process: `base` (the launcher's own environment, so a user's
 * `SLUICE_*` settings reach the cluster), then `config` as `SLUICE_*` variables, which win.
 * Logs default to `info`: the launcher may run under jest, whose workers silence them.
 */
export function clusterProcessEnv(base: NodeJS.ProcessEnv, config: ConfigValues): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    SLUICE_LOG_LEVEL: base.SLUICE_LOG_LEVEL ?? 'info',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) env[envNameForKey(key)] = String(value);
  }
  return env;
}

/**
 * Loads the configuration a process will see from `env`, so a mistake (an unknown `SLUICE_*`
 * variable in the user's shell, an invalid value) is reported before anything is spawned.
 * @throws ConfigError naming every problem.
 */
export function checkClusterProcessEnv(env: NodeJS.ProcessEnv, cwd: string): void {
  loadConfig({ env, cwd });
}
