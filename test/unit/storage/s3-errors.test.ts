import { NotFoundError, StorageError } from '../../../runtime/errors';
import { isS3NotFound, isS3Retryable, toS3StorageError } from '../../../runtime/storage/s3/s3-errors';

/** Builds an error shaped like the AWS SDK's service and transport errors. */
function awsError(fields: {
  name?: string;
  code?: string;
  status?: number;
  retryable?: object;
  message?: string;
}): Error {
  const err = new Error(fields.message ?? 'boom');
  if (fields.name) err.name = fields.name;
  Object.assign(err, {
    code: fields.code,
    $retryable: fields.retryable,
    $metadata: fields.status === undefined ? {} : { httpStatusCode: fields.status },
  });
  return err;
}

describe('S3 error classification', () => {
  it.each([
    ['5xx', awsError({ name: 'InternalError', status: 500 })],
    ['503 without a name', awsError({ status: 503 })],
    ['429', awsError({ status: 429 })],
    ['SlowDown', awsError({ name: 'SlowDown', status: 503 })],
    ['SDK-marked retryable', awsError({ name: 'Whatever', status: 400, retryable: { throttling: true } })],
    ['connection reset', awsError({ code: 'ECONNRESET' })],
    ['timeout', awsError({ name: 'TimeoutError' })],
    [
      'wrapped cross-realm socket error',
      awsError({ message: 'AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1' }),
    ],
  ])('retries %s', (_why, err) => {
    expect(isS3Retryable(err)).toBe(true);
    expect(toS3StorageError(err, 'get', 's3://b/k').retryable).toBe(true);
  });

  it.each([
    ['403', awsError({ name: 'AccessDenied', status: 403 })],
    ['NoSuchBucket', awsError({ name: 'NoSuchBucket', status: 404 })],
    ['a client bug without a response', awsError({ message: 'Region is missing' })],
    ['a 400 that merely mentions a code', awsError({ status: 400, message: 'ECONNRESET in your key name' })],
  ])('does not retry %s', (_why, err) => {
    expect(isS3Retryable(err)).toBe(false);
  });

  it('tells a missing object from a missing bucket', () => {
    expect(isS3NotFound(awsError({ name: 'NoSuchKey', status: 404 }))).toBe(true);
    expect(isS3NotFound(awsError({ name: 'NotFound', status: 404 }))).toBe(true);
    expect(isS3NotFound(awsError({ name: 'NoSuchBucket', status: 404 }))).toBe(false);
    expect(isS3NotFound(awsError({ name: 'AccessDenied', status: 403 }))).toBe(false);
  });

  it('wraps as StorageError with the cause, and passes typed errors through', () => {
    const cause = awsError({ name: 'AccessDenied', status: 403, message: 'denied' });
    const wrapped = toS3StorageError(cause, 'put', 's3://b/p/k');
    expect(wrapped).toBeInstanceOf(StorageError);
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).toBe('S3 put s3://b/p/k failed (AccessDenied, HTTP 403): denied');
    const typed = new NotFoundError('gone');
    expect(toS3StorageError(typed, 'get', 's3://b/k')).toBe(typed);
  });
});
