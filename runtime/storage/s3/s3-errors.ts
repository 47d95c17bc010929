import { DependencyUnavailableError, SluiceError, StorageError } from '../../errors';

/** The fields of an AWS SDK v3 service or transport error we branch on (all optional). */
interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);
const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_CODES].join('|')})\\b|socket hang up`);
const NETWORK_NAMES = new Set(['TimeoutError', 'NetworkingError', 'RequestTimeout']);
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);

function shapeOf(err: unknown): AwsErrorShape {
  return typeof err === 'object' && err !== null ? (err as AwsErrorShape) : {};
}

export function httpStatusOf(err: unknown): number | undefined {
  return shapeOf(err).$metadata?.httpStatusCode;
}

/**
 * NoSuchKey on GET, a bare 404 on HEAD (which has no body to carry an error code). A missing
 * bucket is not a missing object: it is a deployment error and must not read as "no data".
 */
export function isS3NotFound(err: unknown): boolean {
  const { name } = shapeOf(err);
  if (name === 'NoSuchBucket') return false;
  return (name !== undefined && NOT_FOUND_NAMES.has(name)) || httpStatusOf(err) === 404;
}

/** A ranged get that starts at or past the end of the object (HTTP 416). */
export function isS3RangeNotSatisfiable(err: unknown): boolean {
  return shapeOf(err).name === 'InvalidRange' || httpStatusOf(err) === 416;
}

export function isS3NoSuchBucket(err: unknown): boolean {
  const { name } = shapeOf(err);
  return name === 'NoSuchBucket' || (name === 'NotFound' && httpStatusOf(err) === 404);
}

/**
 * Whether trying again can help: throttling, 5xx and transport failures. The SDK has already
 * retried these itself (maxAttempts), so this tells the caller's restart strategy, not us.
 */
export function isS3Retryable(err: unknown): boolean {
  const shape = shapeOf(err);
  const status = httpStatusOf(err);
  if (shape.$retryable !== undefined && shape.$retryable !== null && shape.$retryable !== false) return true;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (shape.name !== undefined && (THROTTLING_NAMES.has(shape.name) || NETWORK_NAMES.has(shape.name)))
    return true;
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) return true;
  // No HTTP answer at all and a socket error code in the text: the SDK's retry middleware
  // turns errors from another JS realm (e.g. Node's net errors under jest's vm) into a plain
  // Error whose message is the only place the code survives.
  return status === undefined && typeof shape.message === 'string' && NETWORK_MESSAGE.test(shape.message);
}

/** No HTTP answer at all: the connection failed (refused, reset, timed out, name not found). */
export function isS3Unreachable(err: unknown): boolean {
  const shape = shapeOf(err);
  if (httpStatusOf(err) !== undefined) return false;
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) return true;
  if (shape.name !== undefined && NETWORK_NAMES.has(shape.name)) return true;
  return typeof shape.message === 'string' && NETWORK_MESSAGE.test(shape.message);
}

/**
 * Wraps any failure (unless it is already typed), naming the operation and location: a
 * `DependencyUnavailableError` naming `endpoint` when S3 did not answer at all, else a
 * `StorageError`.
 */
export function toS3StorageError(
  err: unknown,
  operation: string,
  location: string,
  endpoint?: string,
): SluiceError {
  if (err instanceof SluiceError) return err;
  if (endpoint !== undefined && isS3Unreachable(err))
    return new DependencyUnavailableError('blob store', endpoint, err);
  const shape = shapeOf(err);
  const status = httpStatusOf(err);
  const detail = [shape.name ?? shape.code, status === undefined ? undefined : `HTTP ${status}`]
    .filter((part) => part !== undefined)
    .join(', ');
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(`S3 ${operation} ${location} failed${detail ? ` (${detail})` : ''}: ${message}`, {
    cause: err,
    retryable: isS3Retryable(err),
  });
}
