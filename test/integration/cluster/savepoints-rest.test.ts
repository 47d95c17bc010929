/**
 * Savepoints over REST on a real cluster (issue 9): a TaskManager process, Redis and the S3
 * emulator. Savepoint with cancel through the asynchronous trigger, resume from it at another
 * parallelism (counts continue exactly), list, dispose, and every spelling of a target outside
 * the store's savepoints/ folder refused with 400 naming the rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';

const RECORDS = 12_000;
const KEYS = 37;
const TOKEN = 'savepoint-token';

describe('savepoints over REST (TaskManager process, Redis, S3 emulator)', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  let output: string;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await cluster.startTaskManager(6);
    const { dispatcher } = cluster.jobManager;
    rest = createRestServer({
      gateway: dispatcher,
      savepoints: dispatcher,
      token: TOKEN,
      maxBodyBytes: 1 << 20,
    });
    output = mkdtempSync(join(tmpdir(), 'sluice-sp-rest-'));
  }, 120_000);

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
    rmSync(output, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await rest.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, payload });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };

  async function submit(parallelism: number, savepointPath?: string): Promise<string> {
    const path = fixtureJob('savepoint-count-job');
    const { jobGraph, code } = prepareJob(
      path,
      { records: String(RECORDS), keys: String(KEYS), paceEvery: '4', output },
      { parallelism },
    );
    const { code: bytes, sha256 } = await bundleJob(path);
    await cluster.jobManager.dispatcher.putArtifact(sha256, bytes);
    const { jobId } = await cluster.jobManager.dispatcher.submitJob({
      jobGraph,
      artifact: sha256,
      args: code.args,
      buildSettings: code.buildSettings,
      ...(savepointPath ? { savepointPath } : {}),
    });
    return jobId;
  }

  it('savepoint with cancel, list, resume at parallelism 3, dispose; escapes refused', async () => {
    const jobId = await submit(2);
    await cluster.waitForStatus(jobId, ['RUNNING']);
    for (const targetDirectory of [
      '../savepoints',
      'savepoints/../checkpoints',
      'savepoints/%2e%2e/artifacts',
      `s3://other-bucket/savepoints`,
      '/etc/savepoints',
      'checkpoints/mine',
    ]) {
      for (const route of ['savepoints', 'stop']) {
        const refused = await call('POST', `/jobs/${jobId}/${route}`, { targetDirectory });
        expect({ route, targetDirectory, ...refused }).toMatchObject({
          route,
          targetDirectory,
          status: 400,
          body: {
            message: expect.stringContaining(
              'a savepoint location must lie inside the configured blob store',
            ),
          },
        });
      }
    }
    // The coordinator starts once every task runs: until then the request FAILS with a conflict.
    const location = await waitFor(
      async () => {
        const { status, body } = await call('POST', `/jobs/${jobId}/savepoints`, { cancelJob: true });
        if (status !== 202) return undefined;
        const done = await waitFor(
          async () => {
            const s = await call('GET', `/jobs/${jobId}/savepoints/${String(body.requestId)}`);
            return s.body.status === 'IN_PROGRESS' ? undefined : s.body;
          },
          { timeoutMs: 30_000, what: 'the savepoint request to end' },
        );
        return done.status === 'COMPLETED' ? String(done.location) : undefined;
      },
      { timeoutMs: 40_000, what: 'a completed savepoint' },
    );
    expect(location).toMatch(
      new RegExp(
        `^s3://${cluster.config['s3.bucket']}/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`,
      ),
    );
    await cluster.waitForStatus(jobId, ['CANCELED']);

    const listed = (await call('GET', '/savepoints')).body.savepoints as {
      location: string;
      jobId: string;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({ location, jobId, jobName: 'savepoint-count', trigger: 'savepoint' }),
    ]);

    const resumed = await submit(3, location);
    await cluster.waitForStatus(resumed, ['FINISHED'], 60_000);
    expect(checkCountsContinue(output, RECORDS, KEYS)).toBe(RECORDS);

    const disposal = await call('POST', '/savepoint-disposal', { savepointPath: location });
    expect(disposal.status).toBe(202);
    await waitFor(
      async () =>
        (await call('GET', `/savepoint-disposal/${String(disposal.body.requestId)}`)).body.status ===
        'COMPLETED',
      { what: 'the disposal' },
    );
    expect((await call('GET', '/savepoints')).body.savepoints).toEqual([]);
    const outside = await call('POST', '/savepoint-disposal', { savepointPath: 'savepoints/%2e%2e/jobs' });
    expect(outside).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('savepoints/ folder') },
    });
    // Asynchronous: a location that is no savepoint is the request's failure cause.
    const missing = await call('POST', '/savepoint-disposal', { savepointPath: location });
    await waitFor(async () => {
      const s = await call('GET', `/savepoint-disposal/${String(missing.body.requestId)}`);
      return s.body.status === 'FAILED' && JSON.stringify(s.body).includes('is not a savepoint');
    });
  }, 180_000);
});
