/**
 * The product promises that a person can browse savepoints in the S3 console. This checks the
 * promise with a real S3 client that is not ours: the AWS CLI (Debian's `awscli`, provisioned by
 * the test setup like redis-server) lists and reads a savepoint a real job wrote into the fauxqs
 * emulator under a bucket and prefix. The steps are the ones `infra/README.md` gives.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readSavepoint,
  savepointKeyOf,
  savepointTargetDir,
} from '../../../runtime/checkpoint/savepoint-store';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import type { FauxqsServer } from '../../helpers/fauxqs';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, fauxqsS3Options, startFauxqs } from '../../helpers/fauxqs';

jest.setTimeout(90_000);

const bucket = `sluice-browse-${randomBytes(4).toString('hex')}`;
const prefix = 'team/sluice';
const base = mkdtempSync(join(tmpdir(), 'sluice-aws-cli-'));
let fauxqs: FauxqsServer;
let store: S3BlobStore;
let cluster: MiniCluster;

/** Runs `aws` against the emulator with the emulator's credentials only (none of the user's). */
async function aws(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('aws', ['--endpoint-url', fauxqs.endpoint, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: base,
      AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: FAUXQS_REGION,
      AWS_CONFIG_FILE: join(base, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(base, 'no-credentials'),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

beforeAll(async () => {
  fauxqs = await startFauxqs();
  store = new S3BlobStore({ bucket, prefix, ...fauxqsS3Options(fauxqs.endpoint) });
  await store.ensureBucket();
  cluster = new MiniCluster({ slotsPerTaskManager: 4, blobStore: store });
  await cluster.start();
});

afterAll(async () => {
  await cluster?.close();
  await store?.close();
  await fauxqs?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('the AWS CLI lists a savepoint, reads its _metadata and every state object it names', async () => {
  const { jobGraph, code } = prepareJob(
    fixtureJob('savepoint-count-job'),
    { records: '20000', keys: '23', paceEvery: '4', output: join(base, 'out') },
    { parallelism: 2 },
  );
  const master = cluster.submitJob(jobGraph, code);
  await waitFor(() => master.status === 'RUNNING', { what: 'the job to run' });
  const { externalPath } = await waitFor(
    () =>
      master.checkpointRequests.triggerSavepoint(savepointTargetDir(store, 'savepoints', master.jobId), true),
    { what: 'a savepoint', timeoutMs: 30_000 },
  );
  await master.whenTerminal();
  const dir = savepointKeyOf(store, externalPath);
  expect(externalPath).toBe(`s3://${bucket}/${prefix}/${dir}`);

  // The console's view: folders under savepoints/, then the savepoint's objects.
  const folders = await aws('s3', 'ls', `s3://${bucket}/${prefix}/savepoints/`);
  expect(folders).toContain(`PRE ${dir.split('/').pop()}/`);
  const listing = await aws('s3', 'ls', '--recursive', `${externalPath}/`);
  const listed = listing
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).slice(3).join(' '));

  // _metadata is JSON a person reads: the job, the release, every object by relative path.
  const metadataText = await aws('s3', 'cp', `${externalPath}/_metadata`, '-');
  const metadata = JSON.parse(metadataText) as Awaited<ReturnType<typeof readSavepoint>>['metadata'];
  expect(metadata).toMatchObject({ jobId: master.jobId, jobName: 'savepoint-count', kind: 'savepoint' });
  const refs = metadata.operators.flatMap((op) =>
    op.subtasks.flatMap((s) => [s.keyed, s.operator].filter((r) => r !== undefined)),
  );
  expect(refs.length).toBeGreaterThan(0);
  expect(listed.sort()).toEqual(
    [`${prefix}/${dir}/_metadata`, ...refs.map((r) => `${prefix}/${dir}/${r.path}`)].sort(),
  );
  // What the CLI reads is what Sluice verifies: same bytes as our reader sees.
  expect((await readSavepoint(store, externalPath)).metadata.checksum).toBe(metadata.checksum);

  // Each state object downloads whole, and carries the job, kind and checkpoint as metadata.
  const ref = refs[0]!;
  const head = JSON.parse(
    await aws('s3api', 'head-object', '--bucket', bucket, '--key', `${prefix}/${dir}/${ref.path}`),
  ) as { ContentLength: number; Metadata: Record<string, string> };
  expect(head.ContentLength).toBe(ref.bytes);
  expect(head.Metadata).toMatchObject({ job: master.jobId, 'checkpoint-id': String(metadata.checkpointId) });
  expect(head.Metadata.kind).toMatch(/state/);
});
