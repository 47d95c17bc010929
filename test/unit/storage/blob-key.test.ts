import { BadRequestError, InvalidBlobKeyError, SluiceError } from '../../../runtime/errors';
import {
  assertValidBlobKey,
  assertValidBlobPrefix,
  assertValidPutOptions,
  isUnderBlobPrefix,
  joinBlobKey,
  normalizeBlobPrefix,
} from '../../../runtime/storage/blob-key';
import type { PutOptions } from '../../../runtime/storage/blob-store';

describe('assertValidBlobKey', () => {
  it.each([
    'a',
    'artifacts/3f0c9a1e5b7d2c4a6e8f0b1d3c5a7e9f1b3d5c7a9e1f3b5d7c9a1e3f5b7d9c1a.js',
    'checkpoints/job-1/chk-12/_metadata',
    'savepoints/savepoint-a1b2c3-0123456789ab/counts-0',
    'a.b/c=d/e+f/g@h/i:j',
    '.hidden/x',
    'x/...', // three dots is a plain name, not a traversal
  ])('accepts %j', (key) => {
    expect(() => assertValidBlobKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['/abs', 'leading slash'],
    ['a/', 'trailing slash'],
    ['a//b', 'empty segment'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['../x', 'traversal at the start'],
    ['a/../../x', 'traversal in the middle'],
    ['a/./b', 'dot segment'],
    ['a/..', 'traversal at the end'],
    ['a\\b', 'backslash'],
    ['..\\x', 'windows traversal'],
    ['a\u0000b', 'NUL'],
    ['a\nb', 'newline'],
    ['a\tb', 'tab'],
    ['a\u007fb', 'DEL'],
    ['a b', 'space'],
    ['a%2e%2e/b', 'percent encoding'],
    ['a?b', 'query'],
    ['a#b', 'fragment'],
    ['a*', 'glob'],
    ['a~meta.json', 'reserved tilde'],
    ['héllo', 'non-ASCII'],
    ['ａ', 'full-width letter'],
    ['x'.repeat(201), 'segment too long'],
    [`${'a'.repeat(200)}/`.repeat(5) + 'b'.repeat(20), 'key over 1024 bytes'],
  ])('rejects %j (%s)', (key, _why) => {
    expect(() => assertValidBlobKey(key)).toThrow(InvalidBlobKeyError);
  });

  it('throws a typed, non-retryable bad-request error that names the key', () => {
    let caught: unknown;
    try {
      assertValidBlobKey('../etc/passwd');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidBlobKeyError);
    expect(caught).toBeInstanceOf(BadRequestError);
    expect(caught).toBeInstanceOf(SluiceError);
    const err = caught as InvalidBlobKeyError;
    expect(err.code).toBe('SLUICE_BAD_REQUEST');
    expect(err.retryable).toBe(false);
    expect(err.key).toBe('../etc/passwd');
    expect(err.name).toBe('InvalidBlobKeyError');
  });

  it('rejects non-strings that slip past the type system', () => {
    expect(() => assertValidBlobKey(undefined as unknown as string)).toThrow(InvalidBlobKeyError);
    expect(() => assertValidBlobKey(42 as unknown as string)).toThrow(InvalidBlobKeyError);
  });

  it('accepts exactly 1024 bytes', () => {
    const key = `${'a'.repeat(200)}/`.repeat(5) + 'b'.repeat(19);
    expect(key).toHaveLength(1024);
    expect(() => assertValidBlobKey(key)).not.toThrow();
  });
});

describe('blob prefixes', () => {
  it.each(['', 'a', 'a/', 'a/b', 'a/b/'])('accepts %j', (prefix) => {
    expect(() => assertValidBlobPrefix(prefix)).not.toThrow();
  });

  it.each(['/', '//', '/a', 'a//', 'a//b', '../', '..', 'a/../', 'a\\'])('rejects %j', (prefix) => {
    expect(() => assertValidBlobPrefix(prefix)).toThrow(InvalidBlobKeyError);
  });

  it('normalizes by dropping one trailing slash', () => {
    expect(normalizeBlobPrefix('')).toBe('');
    expect(normalizeBlobPrefix('a/b/')).toBe('a/b');
    expect(normalizeBlobPrefix('a/b')).toBe('a/b');
  });

  it('matches keys by folder, not by string prefix', () => {
    expect(isUnderBlobPrefix('a/b/c', 'a/b')).toBe(true);
    expect(isUnderBlobPrefix('a/b/c/d', 'a')).toBe(true);
    expect(isUnderBlobPrefix('a/bc', 'a/b')).toBe(false);
    expect(isUnderBlobPrefix('a/b', 'a/b')).toBe(false);
    expect(isUnderBlobPrefix('chk-10/x', 'chk-1')).toBe(false);
    expect(isUnderBlobPrefix('anything', '')).toBe(true);
  });
});

describe('joinBlobKey', () => {
  it('joins parts with single slashes and drops empty parts', () => {
    expect(joinBlobKey('checkpoints/', 'job-1', '/chk-3/', '_metadata')).toBe(
      'checkpoints/job-1/chk-3/_metadata',
    );
    expect(joinBlobKey('', 'a', '', 'b')).toBe('a/b');
    expect(joinBlobKey('a/b', 'c')).toBe('a/b/c');
  });

  it('validates the result, so parts cannot smuggle in traversal', () => {
    expect(() => joinBlobKey('savepoints', '..', 'x')).toThrow(InvalidBlobKeyError);
    expect(() => joinBlobKey('a', 'b//c')).toThrow(InvalidBlobKeyError);
    expect(() => joinBlobKey('a', 'b c')).toThrow(InvalidBlobKeyError);
    expect(() => joinBlobKey('', '/')).toThrow(InvalidBlobKeyError);
  });
});

describe('assertValidPutOptions', () => {
  it('accepts no options, a content type and lower-case ASCII metadata', () => {
    expect(() => assertValidPutOptions(undefined)).not.toThrow();
    expect(() =>
      assertValidPutOptions({
        contentType: 'application/json; charset=utf-8',
        metadata: { job: 'j-1', 'checkpoint-id': '3' },
      }),
    ).not.toThrow();
  });

  it.each<[PutOptions, string]>([
    [{ metadata: { Job: 'x' } }, 'upper-case name'],
    [{ metadata: { job_id: 'x' } }, 'underscore in name'],
    [{ metadata: { '': 'x' } }, 'empty name'],
    [{ metadata: { job: 'ü' } }, 'non-ASCII value'],
    [{ metadata: { job: 'a\r\nx-injected: 1' } }, 'header injection'],
    [{ metadata: { job: 'x'.repeat(2100) } }, 'over 2 KB'],
    [{ contentType: 'text/plain\n' }, 'control char in content type'],
  ])('rejects %j (%s)', (options, _why) => {
    expect(() => assertValidPutOptions(options)).toThrow(BadRequestError);
  });
});
