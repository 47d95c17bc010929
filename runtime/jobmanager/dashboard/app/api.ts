import { clearToken, readToken } from './auth';

/** An answer other than 2xx; `status` 0 when the job manager could not be reached at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the job manager refuses the stored token (it changed, or the cluster restarted). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * Calls the REST API with the bearer token in the Authorization header: never in the URL,
 * where it would end up in logs and browser history.
 */
export async function api<T>(
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<T> {
  const token = init.token ?? readToken();
  if (!token) throw new ApiError(401, 'not logged in');
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    throw new ApiError(0, `job manager not reachable (${(err as Error).message})`);
  }
  if (response.status === 401) {
    if (init.token === undefined) {
      clearToken();
      unauthorizedListeners.forEach((l) => l());
    }
    throw new ApiError(401, 'the token was not accepted');
  }
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    const message = (body as { message?: string } | undefined)?.message ?? response.statusText;
    throw new ApiError(response.status, message);
  }
  return body as T;
}
