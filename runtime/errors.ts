/**
 * Typed errors. Callers branch on `instanceof` or `code`, never on message text.
 * `retryable` tells a restart strategy or a client whether trying again can help.
 */
export type SluiceErrorCode =
  | 'SLUICE_INVALID_JOB'
  | 'SLUICE_GRAPH_MISMATCH'
  | 'SLUICE_USER_FUNCTION'
  | 'SLUICE_TASK_FAILED'
  | 'SLUICE_JOB_FAILED'
  | 'SLUICE_JOB_CANCELED'
  | 'SLUICE_CONFIG'
  | 'SLUICE_NOT_FOUND'
  | 'SLUICE_UNAUTHORIZED'
  | 'SLUICE_BAD_REQUEST'
  | 'SLUICE_CONFLICT'
  | 'SLUICE_STORAGE'
  | 'SLUICE_STATE'
  | 'SLUICE_CHECKPOINT_CORRUPT'
  | 'SLUICE_CHECKPOINT_FAILED'
  | 'SLUICE_SAVEPOINT_INCOMPATIBLE'
  | 'SLUICE_COORDINATION'
  | 'SLUICE_NOT_LEADER'
  | 'SLUICE_NETWORK'
  | 'SLUICE_NO_RESOURCES'
  | 'SLUICE_TIMEOUT'
  | 'SLUICE_UNAVAILABLE'
  | 'SLUICE_PAYLOAD_TOO_LARGE'
  | 'SLUICE_UNSUPPORTED_MEDIA_TYPE'
  | 'SLUICE_INTERNAL';

export class SluiceError extends Error {
  readonly code: SluiceErrorCode;
  readonly retryable: boolean;

  constructor(
    code: SluiceErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The job definition or its graph is invalid (bad parallelism, duplicate uid, cycle…). */
export class InvalidJobError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_INVALID_JOB', message, options);
  }
}

/** A task rebuilt the job graph and got a different shape than the one that was submitted. */
export class GraphMismatchError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_GRAPH_MISMATCH', message);
  }
}

/** A user function threw. Names the operator; the original error is the cause. */
export class UserFunctionError extends SluiceError {
  readonly operatorName: string;
  readonly operatorId: string;

  constructor(operatorName: string, operatorId: string, cause: unknown) {
    super('SLUICE_USER_FUNCTION', `operator '${operatorName}' threw: ${describeError(cause)}`, {
      cause,
      retryable: true,
    });
    this.operatorName = operatorName;
    this.operatorId = operatorId;
  }
}

/**
 * A call of `mapAsync` did not settle within its `timeoutMs` and the operator has no
 * `onTimeout` handler (Flink's AsyncFunction default `timeout`). Names the operator and the
 * limit; the task fails and restarts by its restart strategy, so retryable.
 */
export class AsyncTimeoutError extends SluiceError {
  readonly operatorName: string;
  readonly timeoutMs: number;

  constructor(operatorName: string, timeoutMs: number) {
    super(
      'SLUICE_TIMEOUT',
      `an async call of operator '${operatorName}' did not complete within ${timeoutMs} ms ` +
        '(mapAsync timeoutMs; give onTimeout to emit a fallback result instead of failing)',
      { retryable: true },
    );
    this.operatorName = operatorName;
    this.timeoutMs = timeoutMs;
  }
}

export class JobFailedError extends SluiceError {
  /** The failing user function's own frames, source-mapped (see `SerializedError.jobStack`). */
  readonly jobStack: string | undefined;

  constructor(message: string, options?: { cause?: unknown; jobStack?: string }) {
    super('SLUICE_JOB_FAILED', message, options);
    this.jobStack = options?.jobStack;
  }
}

export class JobCanceledError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_JOB_CANCELED', message);
  }
}

/**
 * A lifecycle was asked for a transition its table does not allow (a job going from FINISHED
 * to RUNNING…): a bug in Sluice, not in the job, so it is not retryable.
 */
export class IllegalStateTransitionError extends SluiceError {
  constructor(
    readonly from: string,
    readonly to: string,
    what: string,
  ) {
    super('SLUICE_INTERNAL', `${what}: illegal transition from ${from} to ${to}`);
  }
}

/** One configuration problem: the key (or variable), where its value came from, what is wrong. */
export interface ConfigProblem {
  key: string;
  source: string;
  message: string;
}

export class ConfigError extends SluiceError {
  /** Every problem found, so a user can fix them all in one go; empty for errors about no key. */
  readonly problems: readonly ConfigProblem[];

  constructor(message: string, problems: readonly ConfigProblem[] = []) {
    super('SLUICE_CONFIG', message);
    this.problems = problems;
  }
}

/** A state change the current state does not allow (cancel a finished job…). */
export class ConflictError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_CONFLICT', message);
  }
}

export class NotFoundError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_NOT_FOUND', message);
  }
}

/** A request without a valid credential (REST 401: missing or wrong bearer token). */
export class UnauthorizedError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_UNAUTHORIZED', message);
  }
}

/**
 * A REST call the server refused or failed with no more specific error class (413, 415, 500…).
 * `code` is the server's code; `status` the HTTP status.
 */
export class RestApiError extends SluiceError {
  readonly status: number;

  constructor(code: SluiceErrorCode, status: number, message: string) {
    super(code, message, { retryable: status >= 500 });
    this.status = status;
  }
}

export class StorageError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('SLUICE_STORAGE', message, options);
  }
}

/** State could not be read, written or restored (bad snapshot bytes, a key the store cannot hold…). */
export class StateError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_STATE', message, options);
  }
}

/**
 * A job cannot start from a savepoint (or another job's checkpoint): an operator with state
 * there has no uid in the job. Terminal: a restart cannot help.
 */
export class SavepointIncompatibleError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_SAVEPOINT_INCOMPATIBLE', message);
  }
}

/**
 * A stored checkpoint object (`_metadata` or a state file) is unreadable or does not match its
 * checksum. `objectKey` names it; recovery skips that checkpoint and falls back to an older one.
 */
export class CheckpointCorruptError extends SluiceError {
  constructor(
    readonly objectKey: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('SLUICE_CHECKPOINT_CORRUPT', `checkpoint object ${objectKey} is corrupt: ${reason}`, options);
  }
}

/** Checkpoints failed more often in a row than `execution.checkpointing.tolerable-failed-checkpoints` allows. */
export class CheckpointFailedError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_CHECKPOINT_FAILED', message, { ...options, retryable: true });
  }
}

/** The caller's input is invalid (a REST body, a blob key, object metadata…); retrying cannot help. */
export class BadRequestError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_BAD_REQUEST', message, options);
  }
}

/** A blob key or prefix that could escape the store root or is ambiguous (see `storage/blob-key.ts`). */
export class InvalidBlobKeyError extends BadRequestError {
  readonly key: string;

  constructor(key: string, reason: string) {
    super(`invalid blob key ${JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key)}: ${reason}`);
    this.key = key;
  }
}

export class CoordinationError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('SLUICE_COORDINATION', message, options);
  }
}

/**
 * This job manager does not lead (a standby, or a leader whose lease lapsed or passed to a
 * newer one): it must not change jobs, checkpoints or TaskManagers. `leaderRestUrl` names the
 * current leader when one is known. Retryable: ask the leader, or again after a failover.
 */
export class NotLeaderError extends SluiceError {
  constructor(
    message: string,
    readonly leaderRestUrl?: string,
  ) {
    super('SLUICE_NOT_LEADER', message, { retryable: true });
  }
}

/**
 * A service this process depends on (Redis, the blob store) cannot be reached. The message
 * names the dependency, its address and the cause (`Redis unreachable at 10.0.0.5:6379:
 * connect ECONNREFUSED …`); REST answers 503. Retryable: the service may come back.
 */
export class DependencyUnavailableError extends SluiceError {
  constructor(
    readonly dependency: string,
    readonly address: string,
    cause: unknown,
  ) {
    super('SLUICE_UNAVAILABLE', `${dependency} unreachable at ${address}: ${describeCause(cause)}`, {
      cause,
      retryable: true,
    });
  }
}

/** The innermost useful text of a connection failure (AggregateErrors list every address tried). */
function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0)
    return cause.errors.map((e) => describeError(e)).join('; ');
  const text = describeError(cause);
  return text.length > 0 ? text : 'no answer';
}

export class NetworkError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('SLUICE_NETWORK', message, { retryable: true, ...options });
  }
}

export class NoResourcesError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_NO_RESOURCES', message, { retryable: true });
  }
}

/**
 * A resource driver (docs/architecture.md §4, per-job mode) could not start or stop TaskManagers. `reasons`
 * lists what the backend said per failed worker (e.g. ECS `RESOURCE:MEMORY`, capacity).
 */
export class ResourceDriverError extends SluiceError {
  readonly reasons: string[];

  constructor(message: string, options: { reasons?: string[]; cause?: unknown; retryable?: boolean } = {}) {
    super('SLUICE_NO_RESOURCES', message, { cause: options.cause, retryable: options.retryable ?? false });
    this.reasons = options.reasons ?? [];
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
