/**
 * followJob against the testing gateway (it has the same methods as the REST client): paging
 * through output, status changes, riding out a job manager that is briefly unreachable, and
 * giving up when it stays away.
 */
import { followJob, type JobFollowSource } from '../../../runtime/client/follow-job';
import { NetworkError, NotLeaderError } from '../../../runtime/errors';
import type { JobDetails, JobStatus } from '../../../runtime/jobmanager/gateway';
import { testArtifact, wordCountSubmission } from '../../helpers/rest-fixtures';
import { TestingJobManagerGateway } from '../../helpers/testing-gateway';

async function submittedJob(gateway: TestingJobManagerGateway): Promise<string> {
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  return (await gateway.submitJob(wordCountSubmission(artifact.sha256))).jobId;
}

test('reads all output in order across small pages and returns the terminal details', async () => {
  const gateway = new TestingJobManagerGateway();
  gateway.outputPageSize = 2;
  const jobId = await submittedJob(gateway);
  const lines = Array.from({ length: 7 }, (_, i) => `line ${i}`);
  gateway.emit(jobId, { lines, results: [1, 2, 3, 4, 5] });
  gateway.setStatus(jobId, 'FINISHED');
  const seen: string[] = [];
  const statuses: JobStatus[] = [];
  const followed = await followJob(gateway, jobId, {
    pollIntervalMs: 10,
    onLines: (l) => seen.push(...l),
    onStatus: (details) => statuses.push(details.status),
  });
  expect(seen).toEqual(lines);
  expect(followed.results).toEqual([1, 2, 3, 4, 5]);
  expect(followed.details.status).toBe('FINISHED');
  expect(statuses).toEqual(['FINISHED']);
});

test('rides out network errors and a leader not serving yet within the grace period', async () => {
  const gateway = new TestingJobManagerGateway();
  const jobId = await submittedJob(gateway);
  gateway.setStatus(jobId, 'FINISHED');
  let failures = 3;
  const flaky: JobFollowSource = {
    jobOutput: async (...args) => {
      // A failover: the job manager gone, then a new leader still recovering its jobs.
      if (failures === 1) {
        failures--;
        throw new NotLeaderError('this job manager just became the leader and is recovering its jobs');
      }
      if (failures-- > 0)
        throw new NetworkError('cannot reach the job manager at http://x: connect ECONNREFUSED');
      return gateway.jobOutput(args[0], args[1], args[2]);
    },
    getJob: (id) => gateway.getJob(id),
  };
  const reported: string[] = [];
  const followed = await followJob(flaky, jobId, {
    pollIntervalMs: 10,
    onNetworkError: (err) => reported.push(err.message),
  });
  expect(followed.details.status).toBe('FINISHED');
  expect(reported).toHaveLength(3);
  expect(reported[2]).toMatch(/recovering its jobs/);
});

test('gives up once the job manager stays unreachable past the grace period', async () => {
  const unreachable: JobFollowSource = {
    jobOutput: async () => {
      throw new NetworkError('cannot reach the job manager at http://x: connect ECONNREFUSED');
    },
    getJob: async () => ({}) as JobDetails,
  };
  await expect(
    followJob(unreachable, 'a'.repeat(32), { pollIntervalMs: 10, networkGraceMs: 300 }),
  ).rejects.toThrow(NetworkError);
});

test('other errors are not retried, and aborting stops following', async () => {
  const gateway = new TestingJobManagerGateway();
  await expect(followJob(gateway, 'b'.repeat(32), { pollIntervalMs: 10 })).rejects.toThrow('not found');

  const jobId = await submittedJob(gateway);
  gateway.setStatus(jobId, 'RUNNING');
  const controller = new AbortController();
  const following = followJob(gateway, jobId, { pollIntervalMs: 10, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await expect(following).rejects.toThrow();
  expect(controller.signal.aborted).toBe(true);
  expect(gateway.job(jobId).status).toBe('RUNNING');
});
