import { BadRequestError, InvalidBlobKeyError } from '../../../runtime/errors';
import { assertTaskBlobKey, blobKeyToS3Path, s3PathToBlobKey } from '../../../runtime/storage/s3-path';

const scope = { bucket: 'data-bucket', prefix: 'team/sluice' };

function refusal(path: string, folder = false, s = scope): string {
  try {
    s3PathToBlobKey(path, s, folder);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return (err as Error).message;
  }
  throw new Error(`${path} was accepted`);
}

describe('s3:// paths of connectors', () => {
  it('maps a path under the configured bucket and prefix to a key below the store root', () => {
    expect(s3PathToBlobKey('s3://data-bucket/team/sluice/in/words.txt', scope)).toBe('in/words.txt');
    expect(s3PathToBlobKey('s3://data-bucket/team/sluice/out/', scope, true)).toBe('out');
    expect(s3PathToBlobKey('S3://data-bucket/team/sluice/out', scope, true)).toBe('out');
    expect(s3PathToBlobKey('s3://data-bucket/any/key', { bucket: 'data-bucket', prefix: '' })).toBe(
      'any/key',
    );
    expect(blobKeyToS3Path('out/part-1', scope)).toBe('s3://data-bucket/team/sluice/out/part-1');
  });

  it('refuses another bucket, naming the configured one', () => {
    expect(refusal('s3://other-bucket/team/sluice/x')).toMatch(/s3\.bucket: data-bucket.*"other-bucket"/);
    expect(refusal('s3://data-bucket.evil/team/sluice/x')).toMatch(/only use the configured bucket/);
  });

  it('refuses keys outside the prefix, and the prefix itself', () => {
    expect(refusal('s3://data-bucket/team/other/x')).toMatch(
      /below the configured prefix \(s3:\/\/data-bucket\/team\/sluice\//,
    );
    expect(refusal('s3://data-bucket/team/sluicey/x')).toMatch(/below the configured prefix/);
    expect(refusal('s3://data-bucket/team/sluice', true)).toMatch(/below the configured prefix/);
    expect(refusal('s3://data-bucket/team/sluice/', true)).toMatch(/below the configured prefix/);
  });

  it('refuses traversal, encoding and empty segments', () => {
    for (const path of [
      's3://data-bucket/team/sluice/../other/x',
      's3://data-bucket/team/sluice/a/../../x',
      's3://data-bucket/team/sluice/%2e%2e/x',
      's3://data-bucket/team/sluice/a%2Fb',
      's3://data-bucket/team/sluice//x',
      's3://data-bucket/team/sluice/./x',
      's3://data-bucket//team/sluice/x',
      's3://data-bucket/team/sluice/a\\..\\x',
    ]) {
      expect(refusal(path)).toMatch(/must be plain/);
    }
    // Characters the blob key rules refuse are refused too.
    expect(() => s3PathToBlobKey('s3://data-bucket/team/sluice/a b', scope)).toThrow(InvalidBlobKeyError);
    expect(() => s3PathToBlobKey('s3://data-bucket/team/sluice/a?b', scope)).toThrow(InvalidBlobKeyError);
  });

  it("refuses the cluster's own folders and paths without an S3 store", () => {
    expect(refusal('s3://data-bucket/team/sluice/checkpoints/job/chk-1/_metadata')).toMatch(
      /belong to the cluster/,
    );
    expect(refusal('s3://data-bucket/team/sluice/artifacts/x.js')).toMatch(/artifacts\//);
    expect(() => assertTaskBlobKey('savepoints/x')).toThrow(/belong to the cluster/);
    expect(() => assertTaskBlobKey('jobs/other-job/output/0/lines/0')).toThrow(/belong to the cluster/);
    expect(() => assertTaskBlobKey('out/checkpoints/x')).not.toThrow();
    expect(() => s3PathToBlobKey('s3://data-bucket/team/sluice/x', undefined)).toThrow(
      /storage\.type: s3 with s3\.bucket/,
    );
    expect(() => s3PathToBlobKey('/local/x', scope)).toThrow(/not an s3:\/\/ path/);
  });
});
