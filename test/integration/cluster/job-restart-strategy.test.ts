/**
 * `sluice run -D restart-strategy.*=…`: the job's own restart strategy, applied by a real job
 * manager to that job only (the cluster's default here: fixed-delay, 3 attempts).
 */
import { bundleJob } from '../../../runtime/client/bundle-job';
import { jobSettingsFromConfig } from '../../../runtime/client/job-config';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { BadRequestError } from '../../../runtime/errors';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start();
  await cluster.startTaskManager(2);
});

afterAll(async () => {
  await cluster?.stop();
});

test('a job-level restart strategy replaces the cluster’s for that job only', async () => {
  const failAt = { failAt: '3' };
  const none = jobSettingsFromConfig({ define: ['restart-strategy.type=none'] });
  const once = jobSettingsFromConfig({
    define: ['restart-strategy.fixed-delay.attempts=1', 'restart-strategy.fixed-delay.delay=50 ms'],
  });
  const [noRestarts, oneRestart, clusterDefault] = [
    await cluster.submit(fixtureJob('failing-job'), failAt, none),
    await cluster.submit(fixtureJob('failing-job'), failAt, once),
    await cluster.submit(fixtureJob('failing-job'), failAt),
  ];
  const ended = await Promise.all(
    [noRestarts, oneRestart, clusterDefault].map((id) => cluster.waitForStatus(id, ['FAILED'])),
  );
  expect(ended.map((job) => job.restarts)).toEqual([
    0,
    1,
    cluster.config['restart-strategy.fixed-delay.attempts'],
  ]);
  expect(ended[0]?.failure?.message).toContain('boom at 3');
});

test('a bad job-level restart key sent past the client is a 400 naming the key', async () => {
  const { jobGraph, code } = prepareJob(fixtureJob('failing-job'));
  const bundle = await bundleJob(fixtureJob('failing-job'));
  await cluster.jobManager.dispatcher.putArtifact(bundle.sha256, bundle.code);
  const submitted = cluster.jobManager.dispatcher.submitJob({
    jobGraph,
    artifact: bundle.sha256,
    args: {},
    buildSettings: {
      ...code.buildSettings,
      restartStrategy: { 'restart-strategy.fixed-delay.attempts': -1 },
    },
  });
  await expect(submitted).rejects.toBeInstanceOf(BadRequestError);
  await expect(submitted).rejects.toThrow(/restart-strategy\.fixed-delay\.attempts.*below the minimum 0/);
});
