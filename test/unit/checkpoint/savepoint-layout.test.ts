import {
  SAVEPOINT_LOCATION_RULE,
  savepointDirName,
  savepointLocationToKey,
} from '../../../runtime/checkpoint/savepoint-layout';
import { BadRequestError } from '../../../runtime/errors';

const S3_ROOT = 's3://bucket-a/cluster/';
const FS_ROOT = 'file:///var/sluice/store/';

describe('savepoint locations', () => {
  it.each([
    ['savepoints', S3_ROOT, 'savepoints'],
    ['savepoints/upgrades/', S3_ROOT, 'savepoints/upgrades'],
    [
      's3://bucket-a/cluster/savepoints/savepoint-abc123-0123456789ab',
      S3_ROOT,
      'savepoints/savepoint-abc123-0123456789ab',
    ],
    ['s3://bucket-a/cluster/savepoints/sp/_metadata', S3_ROOT, 'savepoints/sp'],
    ['file:///var/sluice/store/savepoints/x', FS_ROOT, 'savepoints/x'],
  ])('%s names %s', (location, root, key) => {
    expect(savepointLocationToKey(location, root)).toBe(key);
  });

  it.each([
    ['..', '../savepoints'],
    ['.. inside', 'savepoints/../checkpoints/job'],
    ['encoded ..', 'savepoints/%2e%2e/artifacts'],
    ['encoded slash', 'savepoints%2F..%2Fjobs'],
    ['backslash', 'savepoints\\..\\jobs'],
    ['another bucket', 's3://bucket-b/cluster/savepoints'],
    ['another prefix', 's3://bucket-a/other/savepoints'],
    ['bucket by prefix', 's3://bucket-a/cluster-2/savepoints'],
    ['absolute path', '/etc/savepoints'],
    ['windows path', 'C:\\savepoints'],
    ['another scheme', 'file:///tmp/savepoints'],
    ['outside savepoints/', 'checkpoints/job-1/chk-3'],
    ['a sibling of savepoints/', 'savepoints-old/x'],
    ['empty', ''],
    ['empty segment', 'savepoints//x'],
  ])('refuses %s, naming the rule', (_what, location) => {
    let thrown: unknown;
    try {
      savepointLocationToKey(location, S3_ROOT);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as Error).message).toContain(SAVEPOINT_LOCATION_RULE);
  });

  it('names a savepoint directory after the job, uniquely', () => {
    const a = savepointDirName('4f2a9c0e11aa');
    expect(a).toMatch(/^savepoint-4f2a9c-[0-9a-f]{12}$/);
    expect(savepointDirName('4f2a9c0e11aa')).not.toBe(a);
  });
});
