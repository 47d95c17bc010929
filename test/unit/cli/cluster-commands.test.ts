/**
 * The CLI's cluster commands (run on a job manager, list, info, cancel) against a real REST
 * server on loopback backed by the testing gateway: argument parsing, output formatting, exit
 * codes, and the one-line errors for an unreachable job manager and a rejected token. Most
 * runs call `main` in-process; the real binary is spawned for Ctrl-C and the environment.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { waitFor } from '../../../runtime/util/wait';
import { runCli, spawnCli, startCli } from '../../helpers/cli-runner';
import { fixtureJob, functionJob } from '../../helpers/embedded';
import { freePort } from '../../helpers/free-port';
import {
  TEST_TOKEN,
  listenOnLoopback,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../../helpers/rest-fixtures';
import type { TestingJobManagerGateway } from '../../helpers/testing-gateway';

const WORD_COUNT = functionJob('word-count');

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let url: string;
let cluster: string[];

beforeEach(async () => {
  ({ app, gateway } = restServerWithGateway());
  url = await listenOnLoopback(app);
  cluster = ['--rest-url', url, '--token', TEST_TOKEN];
});

afterEach(() => app.close());

/** Submits word-count straight to the gateway (for list/info/cancel). */
async function existingJob(): Promise<string> {
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  return (await gateway.submitJob(wordCountSubmission(artifact.sha256))).jobId;
}

describe('run on a job manager', () => {
  test('--detached uploads the bundle, submits the prepared job and prints only the job id', async () => {
    const { code, stdout, stderr } = await runCli([
      'run',
      WORD_COUNT,
      '-p',
      '2',
      '--arg',
      'input=README.md',
      '--detached',
      ...cluster,
    ]);
    expect(code).toBe(0);
    const jobId = gateway.lastJobId()!;
    expect(stdout).toBe(`${jobId}\n`);
    const bundle = await bundleJob(WORD_COUNT);
    expect(stderr).toBe(
      `uploaded job bundle ${bundle.sha256.slice(0, 12)} (${Math.ceil(bundle.code.byteLength / 1024)} KiB)\n` +
        `job 'word-count' submitted to ${url} as ${jobId}\n`,
    );

    // The relative path was made absolute where the user typed it (see resolve-job-args).
    const input = join(process.cwd(), 'README.md');
    const prepared = prepareJob(WORD_COUNT, { input }, { parallelism: 2 });
    const [submission] = gateway.submissions;
    expect(submission).toEqual({
      jobGraph: prepared.jobGraph,
      artifact: bundle.sha256,
      args: { input },
      buildSettings: prepared.code.buildSettings,
    });
    expect(createHash('sha256').update(gateway.artifacts.get(bundle.sha256)!).digest('hex')).toBe(
      bundle.sha256,
    );
    expect(gateway.calls).toEqual(['hasArtifact', 'putArtifact', 'submitJob']);

    // The same bundle again is not uploaded again.
    gateway.calls.length = 0;
    expect((await runCli(['run', WORD_COUNT, '-d', ...cluster])).code).toBe(0);
    expect(gateway.calls).toEqual(['hasArtifact', 'submitJob']);
    expect((await runCli(['run', WORD_COUNT, '-d', ...cluster])).stderr).not.toContain('uploaded');
  });

  test('following prints lines as they come, status changes and restarts, then results; exit 0 on FINISHED', async () => {
    const run = startCli(['run', WORD_COUNT, ...cluster]);
    const jobId = await waitFor(() => gateway.lastJobId(), { what: 'the submission' });
    gateway.setStatus(jobId, 'RUNNING');
    gateway.emit(jobId, { lines: ['to 1', 'be 1'] });
    await waitFor(() => run.stdout().includes('be 1') && run.stderr().includes(`job ${jobId} RUNNING`), {
      what: 'output',
    });

    gateway.setStatus(jobId, 'RESTARTING', 'operator split threw: boom');
    await waitFor(() => run.stderr().includes('RESTARTING'), { what: 'the restart' });
    gateway.setStatus(jobId, 'RUNNING');
    await waitFor(() => run.stderr().split(`job ${jobId} RUNNING`).length === 3, { what: 'running again' });

    gateway.emit(jobId, { lines: ['or 1'], results: ['r1', { n: 2 }] });
    gateway.setStatus(jobId, 'FINISHED');
    expect(await run.done).toBe(0);
    expect(run.stdout()).toBe('to 1\nbe 1\nor 1\nr1\n{"n":2}\n');
    // The CLI may or may not poll before the test moves the job out of CREATED.
    const stderr = run
      .stderr()
      .trimEnd()
      .split('\n')
      .filter((line) => line !== `job ${jobId} CREATED`);
    expect(stderr).toEqual([
      expect.stringMatching(/^uploaded job bundle [0-9a-f]{12} \(\d+ KiB\)$/),
      `job 'word-count' submitted to ${url} as ${jobId}`,
      `job ${jobId} RUNNING`,
      `job ${jobId} RESTARTING (restart 1): operator split threw: boom`,
      `job ${jobId} RUNNING`,
      expect.stringMatching(new RegExp(`^job 'word-count' \\(${jobId}\\) FINISHED in `)),
    ]);
  });

  test('a job that fails exits 1 with its failure message', async () => {
    const run = startCli(['run', WORD_COUNT, ...cluster]);
    const jobId = await waitFor(() => gateway.lastJobId(), { what: 'the submission' });
    gateway.emit(jobId, { lines: ['partial'] });
    gateway.setStatus(jobId, 'FAILED', "operator 'split' threw: bad input");
    expect(await run.done).toBe(1);
    expect(run.stdout()).toBe('partial\n');
    expect(run.stderr()).toContain(`error: job ${jobId} FAILED: operator 'split' threw: bad input\n`);
  });

  test('a job canceled meanwhile exits 1', async () => {
    const run = startCli(['run', WORD_COUNT, ...cluster]);
    const jobId = await waitFor(() => gateway.lastJobId(), { what: 'the submission' });
    await gateway.cancelJob(jobId);
    expect(await run.done).toBe(1);
    expect(run.stderr()).toContain(`error: job ${jobId} CANCELED\n`);
  });

  test('dropped lines are reported', async () => {
    const run = startCli(['run', WORD_COUNT, ...cluster]);
    const jobId = await waitFor(() => gateway.lastJobId(), { what: 'the submission' });
    gateway.emit(jobId, { lines: ['kept'], dropped: 5 });
    gateway.setStatus(jobId, 'FINISHED');
    expect(await run.done).toBe(0);
    expect(run.stderr()).toContain('(the job manager dropped 5 output lines');
  });

  test('a job whose stateful operators have no uid is submitted with a warning naming them', async () => {
    const { code, stderr } = await runCli(['run', fixtureJob('print-lines-job'), '--detached', ...cluster]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: operators with state but no uid: '[^']+' \(source\)\. /m);
    // word-count gives its source and counts uids: no warning.
    const clean = await runCli(['run', WORD_COUNT, '--detached', ...cluster]);
    expect(clean.stderr).not.toContain('warning:');
  });

  test('a broken job fails before anything is uploaded', async () => {
    const { code, stderr } = await runCli(['run', 'functions/no-such-job.ts', ...cluster]);
    expect(code).toBe(1);
    expect(stderr).toBe('error: job module not found: functions/no-such-job.ts\n');
    expect(gateway.calls).toEqual([]);
  });

  test('--target must be one of the choices', async () => {
    const { code, stderr } = await runCli(['run', WORD_COUNT, '--target', 'cloud']);
    expect(code).not.toBe(0);
    expect(stderr).toContain("argument 'cloud' is invalid. Allowed choices are embedded, cluster, auto.");
  });

  test('--detached without any job manager is an error', async () => {
    const { code, stderr } = await runCli(['run', WORD_COUNT, '--detached', '--target', 'embedded']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'error: --detached needs a job manager (--target embedded): pass --rest-url or set SLUICE_REST_URL\n',
    );
  });
});

describe('list', () => {
  test('prints a table of jobs, newest first', async () => {
    const first = await existingJob();
    gateway.setStatus(first, 'FINISHED');
    const second = await existingJob();
    gateway.setStatus(second, 'RUNNING');
    (gateway.job(first) as { startTime: number }).startTime = Date.UTC(2025, 0, 31, 12, 0, 0);
    const { code, stdout } = await runCli(['list', ...cluster]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB ID\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+TASKS$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${second}  word-count  RUNNING\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  .+  RUNNING \\d+$`,
      ),
    );
    expect(lines[2]).toContain(`${first}  word-count  FINISHED  2025-01-31 12:00:00Z`);
    expect(lines).toHaveLength(3);
  });

  test('no jobs, and --json', async () => {
    expect((await runCli(['list', ...cluster])).stdout).toBe('no jobs\n');
    const jobId = await existingJob();
    const { stdout } = await runCli(['list', '--json', ...cluster]);
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ jobId, status: 'CREATED' })]);
  });

  test('a wrong token is one clear line and exit 1', async () => {
    const { code, stdout, stderr } = await runCli(['list', '--rest-url', url, '--token', 'wrong']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `error: the job manager at ${url} rejected the token: check --token or SLUICE_TOKEN\n`,
    );
  });

  test('no token at all says how to give one', async () => {
    const { code, stderr } = await runCli(['list', '--rest-url', url]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: the job manager at ${url} requires a token: pass --token or set SLUICE_TOKEN\n`,
    );
  });

  test('an unreachable job manager is one clear line and exit 1', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await runCli(['list', '--rest-url', closed, '--token', TEST_TOKEN]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^error: cannot reach the job manager at ${closed}: connect ECONNREFUSED [^\\n]+\\n$`),
    );
  });
});

describe('info', () => {
  test('prints the job header and one row per vertex', async () => {
    const jobId = await existingJob();
    gateway.setStatus(jobId, 'RUNNING');
    const vertices = gateway.job(jobId).submission.jobGraph.vertices;
    gateway.setVertexMetrics(jobId, vertices[1]!.id, {
      recordsIn: 1200,
      recordsOut: 800,
      backPressureRatio: 0.8,
      busyTimeMsPerSecond: 150,
    });
    const { code, stdout } = await runCli(['info', jobId, ...cluster]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`job       word-count (${jobId})`);
    expect(lines[1]).toBe('status    RUNNING (attempt 0, 0 restarts)');
    expect(lines[2]).toMatch(/^started   \d{4}-.+Z, duration /);
    expect(lines[4]).toBe('checkpoints  disabled');
    expect(lines[6]).toMatch(
      /^VERTEX\s+PARALLELISM\s+STATUS\s+TASKS\s+RECORDS IN\s+RECORDS OUT\s+BUSY\s+BACK PRESSURE$/,
    );
    const operatorCount = vertices.reduce((n, v) => n + v.operators.length, 0);
    expect(lines).toHaveLength(7 + vertices.length + 2 + operatorCount);
    const row = lines.find((l) => l.startsWith(vertices[1]!.name.slice(0, 20)))!;
    expect(row).toMatch(
      new RegExp(
        `\\s${vertices[1]!.parallelism}\\s+RUNNING\\s+RUNNING ${vertices[1]!.parallelism}\\s+1200\\s+800\\s+150 ms/s\\s+high \\(80%\\)$`,
      ),
    );
    // Then per operator of each chain: its records in and out, and watermarks ('-': this job has none).
    expect(lines[7 + vertices.length + 1]).toMatch(
      /^VERTEX\s+OPERATOR\s+RECORDS IN\s+RECORDS OUT\s+INPUT WATERMARK\s+OUTPUT WATERMARK$/,
    );
    const operatorRow = lines.find((l) => l.includes(` ${vertices[1]!.operators[0]!.name} `))!;
    expect(operatorRow).toMatch(/\s1200\s+800\s+-\s+-$/);
  });

  test('shows the failure of a failed job, and --json prints the details', async () => {
    const jobId = await existingJob();
    gateway.setStatus(jobId, 'FAILED', 'TaskManager tm-1 lost');
    expect((await runCli(['info', jobId, ...cluster])).stdout).toMatch(
      /\nfailure   TaskManager tm-1 lost \(\d{4}-/,
    );
    const { stdout } = await runCli(['info', jobId, '--json', ...cluster]);
    expect(JSON.parse(stdout)).toMatchObject({
      jobId,
      status: 'FAILED',
      failure: { message: 'TaskManager tm-1 lost' },
    });
  });

  test('an unknown job is exit 1 with the server message; a malformed id never leaves the CLI', async () => {
    const unknown = 'f'.repeat(32);
    const missing = await runCli(['info', unknown, ...cluster]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: job ${unknown} not found\n`);
    const malformed = await runCli(['info', 'abc', ...cluster]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("'abc' is not a job id (32 lowercase hex characters)");
    expect(gateway.calls).toEqual(['getJob']);
  });
});

describe('output', () => {
  test('--json prints the output so far as one document; with --follow it is a usage error', async () => {
    const jobId = await existingJob();
    gateway.setStatus(jobId, 'RUNNING');
    gateway.emit(jobId, { lines: ['to 1', 'be 1'], results: [{ n: 2 }] });
    const { code, stdout } = await runCli(['output', jobId, '--json', ...cluster]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      jobId,
      status: 'RUNNING',
      lines: ['to 1', 'be 1'],
      results: [{ n: 2 }],
    });
    const both = await runCli(['output', jobId, '--json', '--follow', ...cluster]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("option '--json' cannot be used with option '-f, --follow'");
  });
});

describe('cancel', () => {
  test('cancels a running job; a finished one is a conflict', async () => {
    const jobId = await existingJob();
    gateway.setStatus(jobId, 'RUNNING');
    const ok = await runCli(['cancel', jobId, ...cluster]);
    expect(ok).toEqual({ code: 0, stdout: '', stderr: `cancellation of job ${jobId} requested\n` });
    expect(gateway.job(jobId).status).toBe('CANCELED');

    const done = await existingJob();
    gateway.setStatus(done, 'FINISHED');
    const conflict = await runCli(['cancel', done, ...cluster]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe(`error: job ${done} is already FINISHED\n`);
  });
});

test.each(['list', 'info', 'cancel', 'run', 'checkpoint'])(
  '%s --help documents --rest-url and --token',
  async (command) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: sluice ${command}`);
    expect(stdout).toContain('--rest-url <url>');
    expect(stdout).toContain('--token <token>');
  },
);

describe('the sluice binary', () => {
  test('Ctrl-C while following detaches: the job keeps running, exit 130', async () => {
    const child = spawnCli(['run', WORD_COUNT], { SLUICE_REST_URL: url, SLUICE_TOKEN: TEST_TOKEN });
    const jobId = await waitFor(() => gateway.lastJobId(), { what: 'the submission', timeoutMs: 30_000 });
    gateway.setStatus(jobId, 'RUNNING');
    await waitFor(() => child.stderr().includes(`job ${jobId} RUNNING`), {
      what: 'following',
      timeoutMs: 30_000,
    });
    child.signal('SIGINT');
    expect(await child.done).toBe(130);
    expect(child.stderr()).toContain(
      `detached from job ${jobId}; it keeps running. Cancel it with: sluice cancel ${jobId}\n`,
    );
    expect(gateway.job(jobId).status).toBe('RUNNING');
  });

  test('an unreachable job manager from SLUICE_REST_URL: one line, exit 1', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const child = spawnCli(['list'], { SLUICE_REST_URL: closed, SLUICE_TOKEN: 'x' });
    expect(await child.done).toBe(1);
    expect(child.stderr()).toMatch(
      new RegExp(`^error: cannot reach the job manager at ${closed}: connect ECONNREFUSED [^\\n]+\\n$`),
    );
  });
});
