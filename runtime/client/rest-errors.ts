import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  NotLeaderError,
  RestApiError,
  UnauthorizedError,
  type SluiceErrorCode,
} from '../errors';

/** Codes the REST API answers with; anything else from a server is mapped by HTTP status. */
const REST_CODES: ReadonlySet<string> = new Set<SluiceErrorCode>([
  'SLUICE_BAD_REQUEST',
  'SLUICE_UNAUTHORIZED',
  'SLUICE_NOT_FOUND',
  'SLUICE_CONFLICT',
  'SLUICE_PAYLOAD_TOO_LARGE',
  'SLUICE_UNSUPPORTED_MEDIA_TYPE',
  'SLUICE_INTERNAL',
  'SLUICE_UNAVAILABLE',
  'SLUICE_NOT_LEADER',
]);

/**
 * The typed error for a REST answer that is not a success: by the server's `{ code, message }`
 * (in the body, or in headers for HEAD), else by HTTP status.
 */
export function restErrorFor(response: Response, text: string, url: string, hasToken: boolean): Error {
  // A HEAD answer has no body; the server sends its `{ code, message }` as headers instead.
  const body = text.length > 0 ? parseErrorBody(text) : errorHeaders(response.headers);
  const code = body.code;
  const message =
    body.message ?? `the job manager at ${url} answered ${response.status} ${response.statusText}`.trim();
  if (response.status === 401) {
    return new UnauthorizedError(
      !hasToken
        ? `the job manager at ${url} requires a token: pass --token or set SLUICE_TOKEN`
        : `the job manager at ${url} rejected the token: check --token or SLUICE_TOKEN`,
    );
  }
  if (code === 'SLUICE_BAD_REQUEST' || (code === undefined && response.status === 400))
    return new BadRequestError(message);
  if (code === 'SLUICE_NOT_FOUND' || (code === undefined && response.status === 404))
    return new NotFoundError(message);
  if (code === 'SLUICE_CONFLICT' || (code === undefined && response.status === 409))
    return new ConflictError(message);
  // No leader to serve it right now (a failover in progress): retryable, as on the server.
  if (code === 'SLUICE_NOT_LEADER') return new NotLeaderError(message);
  return new RestApiError(code ?? codeForStatus(response.status), response.status, message);
}
function errorHeaders(headers: Headers): { code?: SluiceErrorCode; message?: string } {
  const code = headers.get('sluice-error-code');
  const message = headers.get('sluice-error-message');
  let decoded: string | undefined;
  try {
    decoded = message === null ? undefined : decodeURIComponent(message);
  } catch {
    decoded = undefined;
  }
  return {
    ...(code !== null && REST_CODES.has(code) ? { code: code as SluiceErrorCode } : {}),
    ...(decoded !== undefined ? { message: decoded } : {}),
  };
}

function parseErrorBody(text: string): { code?: SluiceErrorCode; message?: string } {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      ...(typeof body.code === 'string' && REST_CODES.has(body.code)
        ? { code: body.code as SluiceErrorCode }
        : {}),
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
    };
  } catch {
    return {};
  }
}

function codeForStatus(status: number): SluiceErrorCode {
  if (status === 413) return 'SLUICE_PAYLOAD_TOO_LARGE';
  if (status === 415) return 'SLUICE_UNSUPPORTED_MEDIA_TYPE';
  return status >= 500 ? 'SLUICE_INTERNAL' : 'SLUICE_BAD_REQUEST';
}

/**
 * fetch's own message is only "fetch failed"; the useful part (ECONNREFUSED…) is its cause.
 * Duck-typed: fetch's errors may come from another realm (a vm context), where `instanceof`
 * fails.
 */
export function networkReason(err: unknown): string {
  const cause = asError(asError(err)?.cause);
  // undici wraps several attempts (IPv4 and IPv6) in an AggregateError with an empty message.
  const inner = Array.isArray((cause as { errors?: unknown })?.errors)
    ? (cause as { errors: unknown[] }).errors.map(asError).find((e) => e?.message)
    : undefined;
  const best = inner ?? cause ?? asError(err);
  return best?.message || best?.code || String(err);
}

function asError(value: unknown): { message?: string; code?: string; cause?: unknown } | undefined {
  return typeof value === 'object' && value !== null
    ? (value as { message?: string; code?: string; cause?: unknown })
    : undefined;
}
