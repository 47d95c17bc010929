/**
 * Errors on the wire: the plain form an error takes to cross threads, sockets and REST, and its
 * revival as its own class on the other side (so callers branch on `instanceof` either way).
 */
import {
  AsyncTimeoutError,
  BadRequestError,
  CheckpointCorruptError,
  CheckpointFailedError,
  ConfigError,
  ConflictError,
  CoordinationError,
  DependencyUnavailableError,
  GraphMismatchError,
  IllegalStateTransitionError,
  InvalidBlobKeyError,
  InvalidJobError,
  JobCanceledError,
  JobFailedError,
  NetworkError,
  NoResourcesError,
  NotFoundError,
  NotLeaderError,
  ResourceDriverError,
  SavepointIncompatibleError,
  SluiceError,
  StateError,
  StorageError,
  UnauthorizedError,
  UserFunctionError,
  describeError,
} from './errors';

/** Plain, structured-clone-safe form of an error, for crossing threads, sockets and REST. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  /** The full stack, with server paths: for logs only, never for clients. */
  stack?: string;
  /**
   * A user function's failure reduced to the job's own frames, source-mapped to the job's
   * files (`Error: boom\n    at fn (jobs/my-job.ts:9:31)`): what clients are shown.
   */
  jobStack?: string;
  operatorName?: string;
  retryable?: boolean;
  cause?: SerializedError;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: describeError(err) };
  const out: SerializedError = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof SluiceError) {
    out.code = err.code;
    out.retryable = err.retryable;
  }
  if (err instanceof UserFunctionError) out.operatorName = err.operatorName;
  if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** The error as clients may see it: messages and the job's own frames, no server stacks. */
export function withoutServerStacks(serialized: SerializedError): SerializedError {
  const { stack: _serverStack, cause, ...rest } = serialized;
  return { ...rest, ...(cause ? { cause: withoutServerStacks(cause) } : {}) };
}

/**
 * The error classes that cross process boundaries (control channel, task threads, REST), by
 * name: `deserializeError` revives them, so callers branch on `instanceof` on either side.
 */
function wireErrorClasses(): ReadonlyMap<string, { prototype: SluiceError }> {
  const classes = [
    InvalidJobError,
    GraphMismatchError,
    UserFunctionError,
    AsyncTimeoutError,
    JobFailedError,
    JobCanceledError,
    IllegalStateTransitionError,
    ConfigError,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
    StorageError,
    StateError,
    CheckpointCorruptError,
    CheckpointFailedError,
    SavepointIncompatibleError,
    BadRequestError,
    InvalidBlobKeyError,
    CoordinationError,
    NotLeaderError,
    DependencyUnavailableError,
    NetworkError,
    NoResourcesError,
    ResourceDriverError,
  ];
  return new Map(classes.map((c) => [c.name, c]));
}

/**
 * Rebuilds an error from its serialized form as its own class when it is one of ours (by name,
 * else `SluiceError` for any code), keeping code, retryable, operator, stack and cause. The
 * constructor is not run: its message was built already on the side that threw.
 */
export function deserializeError(
  serialized: SerializedError,
): Error & { code?: string; operatorName?: string; retryable?: boolean } {
  const known = wireErrorClasses().get(serialized.name);
  const prototype = known?.prototype ?? (serialized.code ? SluiceError.prototype : Error.prototype);
  const err = Object.create(prototype) as Error & {
    code?: string;
    operatorName?: string;
    retryable?: boolean;
    jobStack?: string;
  };
  const own = (key: string, value: unknown): void => {
    if (value !== undefined) Object.defineProperty(err, key, { value, writable: true, configurable: true });
  };
  own('message', serialized.message);
  own('name', serialized.name);
  own('code', serialized.code);
  own('retryable', serialized.code ? (serialized.retryable ?? false) : undefined);
  own('operatorName', serialized.operatorName);
  own('jobStack', serialized.jobStack);
  own('stack', serialized.stack ?? `${serialized.name}: ${serialized.message}`);
  if (serialized.cause) own('cause', deserializeError(serialized.cause));
  return err;
}
