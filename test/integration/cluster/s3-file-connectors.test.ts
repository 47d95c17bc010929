import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION } from '../../helpers/fauxqs';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';

/** readTextFile and the file sink on s3:// through TaskManager processes, whose task threads hold no credentials. */
describe('cluster: s3:// file connectors through the TaskManagers', () => {
  const prefix = 'sluice-root';
  let cluster: TestCluster;
  let store: S3BlobStore;
  const inputLines = Array.from({ length: 20_000 }, (_, i) => `record ${i} ${'z'.repeat(i % 53)}`);

  beforeAll(async () => {
    cluster = await TestCluster.start({ 's3.prefix': prefix, 'restart-strategy.type': 'none' });
    await Promise.all([cluster.startTaskManager(2), cluster.startTaskManager(2)]);
    store = new S3BlobStore({
      bucket: cluster.config['s3.bucket']!,
      prefix,
      endpoint: cluster.fauxqs.endpoint,
      region: FAUXQS_REGION,
      forcePathStyle: true,
      credentials: FAUXQS_CREDENTIALS,
    });
    await store.put('input/records.txt', inputLines.join('\n') + '\n');
  });

  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  const s3Path = (key: string): string => `s3://${cluster.config['s3.bucket']}/${prefix}/${key}`;

  it('copies an s3:// object into s3:// parts at parallelism 4, every line exactly once', async () => {
    const jobId = await cluster.submit(
      fixtureJob('copy-lines-job'),
      { input: s3Path('input/records.txt'), output: s3Path('output/copy') },
      { parallelism: 4 },
    );
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(job.failure?.message).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    const hosts = new Set(job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)));
    expect(hosts.size).toBe(2);
    const keys = await store.list('output/copy');
    expect(keys).toEqual([0, 1, 2, 3].map((i) => `output/copy/part-${jobId}-${i}-0.txt`));
    const bodies = await Promise.all(keys.map(async (k) => Buffer.from(await store.get(k)).toString('utf8')));
    const lines = bodies.flatMap((b) => b.split('\n').filter((l) => l !== ''));
    expect(lines.sort()).toEqual(inputLines.map((l) => `${l}|copied`).sort());
  });

  it("fails a job that names another bucket or the cluster's own folders, saying why", async () => {
    for (const [output, rule] of [
      [`s3://not-${cluster.config['s3.bucket']}/${prefix}/out`, /only use the configured bucket/],
      [s3Path('checkpoints/out'), /belong to the cluster/],
    ] as const) {
      const jobId = await cluster.submit(
        fixtureJob('copy-lines-job'),
        { input: s3Path('input/records.txt'), output },
        { parallelism: 1 },
      );
      const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
      expect(job.status).toBe('FAILED');
      expect(job.failure?.message).toMatch(rule);
    }
    expect(await store.list('checkpoints/out')).toEqual([]);
  });
});
