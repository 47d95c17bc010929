/** When a local cluster's processes are up: what the launcher waits for before it says so. */
import type { ManagedProcess } from './process/managed-process';
import { httpGet } from './process/probes';
import type { ReadyCheck } from './process/wait-ready';

/** Ready when the job manager answers `GET /healthz`. */
export function healthCheck(restUrl: string): ReadyCheck {
  return async () => {
    const { status } = await httpGet(`${restUrl}/healthz`);
    return status === 200 || { status: `GET /healthz answered HTTP ${status}` };
  };
}

/** Ready when `GET /taskmanagers` lists as many TaskManagers as were started. */
export function registrationCheck(
  restUrl: string,
  token: string,
  jobManager: ManagedProcess,
  taskManagers: ManagedProcess[],
): ReadyCheck {
  return async () => {
    const { status, body } = await httpGet(`${restUrl}/taskmanagers`, { token });
    if (status !== 200) return { status: `GET /taskmanagers answered HTTP ${status}`, blame: [jobManager] };
    const ids = listedIds(body);
    if (ids.length >= taskManagers.length) return true;
    // Ids match the names when the job manager reports `taskmanager.id`; else all are suspects.
    const missing = taskManagers.filter((tm) => !ids.includes(tm.name));
    return {
      status: `${ids.length} of ${taskManagers.length} TaskManagers registered`,
      blame: [...(missing.length > 0 ? missing : taskManagers), jobManager],
    };
  };
}

/** TaskManager ids from a `/taskmanagers` answer (`{ taskManagers: [...] }`). */
export function listedIds(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (body as { taskManagers?: unknown } | null)?.taskManagers;
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown) => String((entry as { id?: unknown } | null)?.id ?? ''));
}
