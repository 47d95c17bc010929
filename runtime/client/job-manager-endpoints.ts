import { ConfigError, NetworkError, describeError } from '../errors';
import { normalizeRestUrl } from './rest-url';

/**
 * The job managers a client may talk to. With high availability a cluster runs several: one
 * leads, the others stand by and redirect to it (docs/architecture.md §9). A client that knows
 * them all keeps working when the one it talked to dies: it tries the others in turn and sticks
 * to the first that answers, as Flink's clients find the leader through the HA services.
 */
export class JobManagerEndpoints {
  readonly urls: readonly string[];
  private current = 0;

  constructor(urls: readonly string[]) {
    const normalized = [...new Set(urls.map((url) => normalizeRestUrl(url)))];
    if (normalized.length === 0) throw new ConfigError('no job manager REST URL given');
    this.urls = normalized;
  }

  /** The job manager that answered last (at first, the first one given). */
  get primary(): string {
    return this.urls[this.current]!;
  }

  /** The order to try them in: the one that answered last, then the others as given. */
  inTurn(): string[] {
    return [this.primary, ...this.urls.filter((_, i) => i !== this.current)];
  }

  answered(url: string): void {
    const index = this.urls.indexOf(url);
    if (index >= 0) this.current = index;
  }

  /**
   * Runs `attempt` against each job manager in turn until one answers. A request that may have
   * reached a job manager before it failed (a timeout, a connection reset) is tried elsewhere
   * only when it is a read, so a submission or a savepoint trigger is never sent twice.
   */
  async firstAnswer<T>(method: string, attempt: (baseUrl: string) => Promise<T>): Promise<T> {
    const failures: NetworkError[] = [];
    for (const url of this.inTurn()) {
      try {
        const answer = await attempt(url);
        this.answered(url);
        return answer;
      } catch (err) {
        if (!(err instanceof NetworkError) || !mayTryAnother(method, err)) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0]!;
    throw new NetworkError(`cannot reach any job manager: ${failures.map(describeError).join('; ')}`, {
      cause: failures[0],
    });
  }
}

/** `--rest-url` and `SLUICE_REST_URL`: one URL, or every job manager's, comma-separated. */
export function parseRestUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (urls.length === 0)
    throw new ConfigError(`'${text}' holds no URL (expected e.g. http://127.0.0.1:8081)`);
  return urls.map((url) => normalizeRestUrl(url));
}

const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function mayTryAnother(method: string, err: NetworkError): boolean {
  return method === 'GET' || method === 'HEAD' || connectionRefused(err);
}

/** True when the request never reached a server: no connection could be opened. */
function connectionRefused(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && NOT_DELIVERED.has(code)) return true;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => connectionRefused(e, depth + 1)))
    return true;
  return connectionRefused(cause, depth + 1);
}
