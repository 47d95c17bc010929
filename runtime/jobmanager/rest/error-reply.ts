import {
  BadRequestError,
  ConflictError,
  DependencyUnavailableError,
  InvalidJobError,
  NotFoundError,
  NotLeaderError,
  RestApiError,
  SavepointIncompatibleError,
  UnauthorizedError,
  type SluiceErrorCode,
  CheckpointCorruptError,
} from '../../errors';

/** The JSON body of every REST error. */
export interface ErrorBody {
  readonly code: SluiceErrorCode;
  readonly message: string;
}

export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody;
  /** True for a 500: the cause is logged, the client only gets a generic message. */
  readonly unexpected: boolean;
}

/** Fastify's own client errors (body too large, bad JSON…) carry an `FST_` code and a 4xx status. */
interface FastifyClientError {
  code: string;
  statusCode: number;
  message: string;
}

const FASTIFY_STATUS_CODES: Partial<Record<number, SluiceErrorCode>> = {
  413: 'SLUICE_PAYLOAD_TOO_LARGE',
  415: 'SLUICE_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Maps an error thrown by a handler, a hook or the gateway to a status and `{ code, message }`.
 * Typed errors are recognised by class, never by message; anything else is a 500 whose message
 * reveals nothing of the server's internals.
 */
export function errorReply(err: unknown): ErrorReply {
  const known = (status: number, code: SluiceErrorCode, message: string): ErrorReply => ({
    status,
    body: { code, message },
    unexpected: false,
  });
  if (err instanceof UnauthorizedError) return known(401, err.code, err.message);
  if (
    err instanceof BadRequestError ||
    err instanceof InvalidJobError ||
    err instanceof SavepointIncompatibleError ||
    // A client-named savepoint whose `_metadata` fails to verify: the message names the object.
    err instanceof CheckpointCorruptError
  )
    return known(400, err.code, err.message);
  if (err instanceof NotFoundError) return known(404, err.code, err.message);
  if (err instanceof ConflictError) return known(409, err.code, err.message);
  // Redis or the blob store is down: the client learns which one and where, and may retry.
  if (err instanceof DependencyUnavailableError) return known(503, err.code, err.message);
  // A standby (or a deposed leader) answers as one that cannot serve now: ask the leader.
  if (err instanceof NotLeaderError) return known(503, err.code, err.message);
  if (err instanceof RestApiError && err.status < 500) return known(err.status, err.code, err.message);
  if (isFastifyClientError(err)) {
    return known(err.statusCode, FASTIFY_STATUS_CODES[err.statusCode] ?? 'SLUICE_BAD_REQUEST', err.message);
  }
  return {
    status: 500,
    body: { code: 'SLUICE_INTERNAL', message: 'internal error in the job manager; see its log' },
    unexpected: true,
  };
}

function isFastifyClientError(err: unknown): err is FastifyClientError {
  if (typeof err !== 'object' || err === null) return false;
  const { code, statusCode } = err as Partial<FastifyClientError>;
  return (
    typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  );
}
