import {
  DependencyUnavailableError,
  NetworkError,
  NotFoundError,
  SluiceError,
  UserFunctionError,
} from '../../runtime/errors';
import { deserializeError, serializeError } from '../../runtime/error-wire';

describe('errors across a process boundary', () => {
  it('come back as their own classes with code, retryable and message', () => {
    const back = deserializeError(serializeError(new NotFoundError('no job with id 42')));
    expect(back).toBeInstanceOf(NotFoundError);
    expect(back).toBeInstanceOf(SluiceError);
    expect(back.code).toBe('SLUICE_NOT_FOUND');
    expect(back.message).toBe('no job with id 42');
    expect(back.retryable).toBe(false);

    const down = deserializeError(
      serializeError(new DependencyUnavailableError('Redis', '127.0.0.1:6379', new Error('ECONNREFUSED'))),
    );
    expect(down).toBeInstanceOf(DependencyUnavailableError);
    expect(down.retryable).toBe(true);
    expect(down.message).toBe('Redis unreachable at 127.0.0.1:6379: ECONNREFUSED');
  });

  it('keep the operator of a user function and the cause chain', () => {
    const thrown = new UserFunctionError('split', 'op-2', new TypeError('x is undefined'));
    const back = deserializeError(serializeError(thrown));
    expect(back).toBeInstanceOf(UserFunctionError);
    expect(back.operatorName).toBe('split');
    expect(back.cause).toBeInstanceOf(Error);
    expect((back.cause as Error).message).toBe('x is undefined');
    expect((back.cause as Error).name).toBe('TypeError');
  });

  it('revive an unknown class with a code as a SluiceError, and a plain error as an Error', () => {
    const unknown = deserializeError({
      name: 'FrameTooLargeError',
      code: 'SLUICE_NETWORK',
      message: 'too big',
    });
    expect(unknown).toBeInstanceOf(SluiceError);
    expect(unknown).not.toBeInstanceOf(NetworkError);
    expect(unknown.code).toBe('SLUICE_NETWORK');
    const plain = deserializeError({ name: 'RangeError', message: 'out of range' });
    expect(plain).not.toBeInstanceOf(SluiceError);
    expect(plain).toBeInstanceOf(Error);
    expect(plain.name).toBe('RangeError');
  });
});
